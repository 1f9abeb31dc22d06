import type { SubmitRequest } from '../core/job-service.ts';
import type { Subscriber } from '../core/subscriber-router.ts';
import type { Identity } from '../core/types.ts';
import { JobFeeds } from '../server/job-feeds.ts';
import type { ServerContext } from '../server/server-context.ts';

/**
 * What every client-side dialect needs from the core: submit a job and receive its event lines
 * exactly once, in seq order (replay stitched to live), until the final one. One per connection.
 */
export class JobFollower {
  private readonly followed = new Set<string>();
  private readonly spaces = new Set<string>();
  private readonly feeds: JobFeeds;
  private readonly subscriber: Subscriber;

  constructor(
    private readonly ctx: ServerContext,
    who: Identity,
    onEvent: (jobId: string, event: Record<string, any>) => void,
  ) {
    this.feeds = new JobFeeds((jobId, line) => {
      const event = JSON.parse(line) as Record<string, any>;
      if (event.type === 'result' || event.type === 'failed' || event.type === 'cancelled' || event.type === 'timed_out') this.unfollow(jobId);
      onEvent(jobId, event);
    });
    this.subscriber = { identity: who, deliverEvent: (jobId, line) => this.feeds.onLive(jobId, line), deliverStatus: () => {} };
  }

  /** Submits, lets the caller note the job id (`accepted`), then streams its events from seq 1. */
  async submit(who: Identity, request: SubmitRequest, accepted: (jobId: string, position: number) => void = () => {}): Promise<{ jobId: string; position: number }> {
    const job = await this.ctx.core.jobs.submit(who, request);
    accepted(job.job.id, job.position);
    await this.follow(job.job.id);
    return { jobId: job.job.id, position: job.position };
  }

  /** Streams a job's events from the first (for jobs submitted elsewhere, too). */
  async follow(jobId: string, afterSeq = 0): Promise<void> {
    if (this.followed.has(jobId)) return;
    this.followed.add(jobId);
    this.ctx.core.router.subscribeJob(jobId, this.subscriber);
    await this.feeds.replay(this.ctx.engine, jobId, afterSeq, () => {});
  }

  /** Events of every job in a space that this identity may see (space topics). */
  watchSpace(spaceId: string): void {
    this.spaces.add(spaceId);
    this.ctx.core.router.subscribeSpace(spaceId, this.subscriber);
  }

  unwatchSpace(spaceId: string): void {
    this.spaces.delete(spaceId);
    this.ctx.core.router.unsubscribeSpace(spaceId, this.subscriber);
  }

  /** Events of every job this identity may see. */
  watchAll(on: boolean): void {
    if (on) this.ctx.core.router.subscribeAll(this.subscriber);
    else this.ctx.core.router.unsubscribeAll(this.subscriber);
  }

  unfollow(jobId: string): void {
    if (!this.followed.delete(jobId)) return;
    this.ctx.core.router.unsubscribeJob(jobId, this.subscriber);
  }

  cancel(who: Identity, jobId: string): Promise<unknown> {
    return this.ctx.core.jobs.cancel(who, jobId);
  }

  /** The connection closed: stop routing its jobs' events here (the jobs themselves go on). */
  close(): void {
    this.ctx.core.router.drop(this.subscriber, [...this.followed], [...this.spaces]);
    this.followed.clear();
    this.spaces.clear();
  }
}
