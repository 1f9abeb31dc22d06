import type { Accepted, SubmitRequest } from '../core/job-service.ts';
import { newTimeOrderedId } from '../core/ids.ts';
import { isFinalLine } from '../protocol/job-events.ts';
import type { Subscriber } from '../core/subscriber-router.ts';
import type { Identity } from '../core/types.ts';
import { JobFeeds, type Replay } from './job-feeds.ts';
import type { ServerContext } from './server-context.ts';

/** Called as methods (`options.onLine(…)`), so a class instance may be the options. */
export interface FollowerOptions {
  /** Each event line of a followed or watched job, exactly once and in seq order. */
  onLine(jobId: string, line: string): void;
  /** space_status lines of watched spaces. */
  onStatus?(line: string): void;
  /** The connection's buffer room, so a long replay is paced (see JobFeeds). */
  room?(): Promise<void> | undefined;
}

/** For protocols that want each event as an object rather than its line. */
export function parsed(onEvent: (jobId: string, event: Record<string, any>) => void): (jobId: string, line: string) => void {
  return (jobId, line) => onEvent(jobId, JSON.parse(line) as Record<string, any>);
}

/**
 * One connection's subscriptions to the core, for every client protocol (/v1/ws and the
 * dialects): follow jobs (replay stitched to live, paced), watch spaces or everything, submit and
 * follow, and drop it all when the connection closes.
 */
export class JobFollower {
  // Made on first use: most connections at rest follow nothing, and every empty Set, Map and
  // closure is memory held per connection (see docs/benchmarks.md, idle connections).
  private followedJobs: Set<string> | undefined;
  private watchedSpaces: Set<string> | undefined;
  private jobFeeds: JobFeeds | undefined;
  private routed: Subscriber | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly who: Identity,
    private readonly options: FollowerOptions,
  ) {}

  private get followed(): Set<string> {
    return (this.followedJobs ??= new Set());
  }

  private get spaces(): Set<string> {
    return (this.watchedSpaces ??= new Set());
  }

  private get feeds(): JobFeeds {
    return (this.jobFeeds ??= new JobFeeds(
      (jobId, line) => {
        // A final event ends the job's subscription (its feed stays a while to drop late copies).
        if (isFinalLine(line)) this.release(jobId);
        this.options.onLine(jobId, line);
      },
      this.options.room && (() => this.options.room!()),
    ));
  }

  private get subscriber(): Subscriber {
    return (this.routed ??= {
      identity: this.who,
      deliverEvent: (jobId, line) => this.feeds.onLive(jobId, line),
      deliverStatus: (line) => this.options.onStatus?.(line),
    });
  }

  /**
   * Submits, lets the caller note the job (`accepted`), then streams its events from seq 1 —
   * without reading its log: the job is subscribed to under the id it is to have before it
   * exists, and its first event is the one the submit returns (an idempotent repeat names a job
   * made before: that one is replayed).
   */
  async submit(who: Identity, request: SubmitRequest, accepted: (jobId: string, job: Accepted) => void = () => {}, issued?: () => void): Promise<{ jobId: string; position: number }> {
    const jobId = newTimeOrderedId('job');
    this.followed.add(jobId);
    this.ctx.core.router.subscribeJob(jobId, this.subscriber);
    this.feeds.expect(jobId);
    let job: Accepted;
    try {
      job = await this.ctx.core.jobs.submit(who, { ...request, jobId }, issued);
    } catch (err) {
      this.unfollow(jobId);
      throw err;
    }
    accepted(job.job.id, job);
    if (job.line !== undefined) this.feeds.begin(jobId, job.line);
    else {
      this.unfollow(jobId);
      await this.follow(job.job.id);
    }
    return { jobId: job.job.id, position: job.position };
  }

  following(jobId: string): boolean {
    return this.followedJobs?.has(jobId) ?? false;
  }

  /**
   * Streams a job's events after `afterSeq` of `epoch` (replayed, then live; see JobFeeds.replay),
   * and then, while it is queued, its current position (`tellPosition`: a subscribe or resume;
   * a job just submitted was told it in its acceptance); following it again replays again.
   */
  async follow(jobId: string, afterSeq = 0, epoch?: number, opened: (replay: Replay) => void = () => {}, tellPosition = false): Promise<void> {
    this.followed.add(jobId);
    this.ctx.core.router.subscribeJob(jobId, this.subscriber);
    const range = await this.feeds.replay(this.ctx.engine, jobId, afterSeq, epoch, opened);
    if (range?.final) return this.release(jobId);
    // Where it stands now: position updates are not in the log its replay read.
    const line = range && tellPosition ? await this.ctx.core.monitor.currentLine(jobId) : null;
    if (line) this.feeds.onLive(jobId, line);
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

  /** Stops following a job the caller no longer wants. */
  unfollow(jobId: string): void {
    this.release(jobId);
    this.jobFeeds?.forget(jobId);
  }

  private release(jobId: string): void {
    if (!this.followedJobs?.delete(jobId)) return;
    this.ctx.core.router.unsubscribeJob(jobId, this.subscriber);
  }

  /** The connection closed: stop routing its jobs' events here (the jobs themselves go on). */
  close(): void {
    if (!this.routed) return; // never subscribed to anything
    this.ctx.core.router.drop(this.routed, [...(this.followedJobs ?? [])], [...(this.watchedSpaces ?? [])]);
    this.followedJobs = undefined;
    this.watchedSpaces = undefined;
  }
}
