import type { JobEvent } from '../protocol/job-events.ts';
import { newId } from '../core/ids.ts';
import type { Now } from '../core/now.ts';
import type { JobResult, Space } from '../core/types.ts';
import type { HeldJob, WorkerLink } from '../core/worker-link.ts';
import { SpaceportError } from '../protocol/errors.ts';
import { jsonSize } from '../protocol/json-bounds.ts';
import { hashSecret } from './auth.ts';
import { applyDeclarations } from './space-declarations.ts';
import type { SpaceDeclaration } from '../protocol/space-presentation.ts';
import type { Bucket } from './credential-watch.ts';
import type { ServerContext } from './server-context.ts';
import type { Connection } from '../wire/connection.ts';

/** An event a worker's message turns into; `ends` when it is final (`result` for a result). */
export interface BuiltEvent {
  event: JobEvent;
  ends: boolean;
  result?: JobResult;
}

/** How a registered worker is reached: each protocol (native, dialects) formats jobs its own way. */
export type WorkerWire = Pick<WorkerLink, 'sendJob' | 'sendCancel' | 'sendDraining' | 'disconnect'>;

export interface Registration {
  token: string | undefined;
  spaces: string[];
  slots: number;
  name?: string | undefined;
  /** A reconnecting worker's jobs still running, as the worker it was (`worker`: its previous id). */
  reattach?: { worker: string; jobs: Array<{ job: string; attempt: number }> } | undefined;
  /** How its spaces present themselves, per space name (space-declarations.ts). */
  declare?: Record<string, SpaceDeclaration> | undefined;
}

/**
 * One worker connection's life in the core, whatever protocol it speaks: registration (token and
 * spaces checked), the job events it sends (refused as stale when it no longer holds the job), and
 * its removal on disconnect (held jobs requeued).
 */
export class WorkerSession {
  link: WorkerLink | null = null;

  constructor(
    private readonly ctx: ServerContext,
    /** The connection, watched for its token's revocation once registered. */
    private readonly connection: Connection,
  ) {}

  /**
   * Checks the token against every space and joins the dispatcher. Throws `unauthorized`,
   * `unknown_space` or `forbidden`. `announce` runs after the link exists and before any job can
   * be dispatched to it (so the protocol's "registered" reply always comes first).
   */
  async register(reg: Registration, wire: WorkerWire, announce: (link: WorkerLink, spaces: Space[], reattached: Array<{ job: string; received?: number }>) => void): Promise<WorkerLink> {
    if (this.link) throw new SpaceportError('already_registered');
    const { engine, core, auth } = this.ctx;
    const credential = reg.token === undefined ? null : await auth.workerCredential(reg.token);
    if (reg.token !== undefined && !credential) throw new SpaceportError('unauthorized', 'This worker token is not valid.');
    let spaces: Space[] = [];
    for (const name of new Set(reg.spaces)) {
      const space = await engine.getSpace(name);
      if (!space) throw new SpaceportError('unknown_space', `No space is named "${name}".`);
      if (!credential) {
        if (space.open_registration !== true) throw new SpaceportError('unauthorized', `Space "${name}" needs a worker token to register.`);
      } else if (credential !== 'admin' && credential.space_id !== space.id) {
        throw new SpaceportError('forbidden', `This worker token is not valid for space "${name}".`);
      }
      spaces.push(space);
    }
    if (reg.declare) spaces = await applyDeclarations(this.ctx, spaces, reg.declare, credential !== null);
    const id = newId('worker');
    const link: WorkerLink = {
      id,
      name: reg.name ?? id,
      spaceIds: spaces.map((s) => s.id),
      slots: reg.slots,
      connectedAt: Date.now(),
      draining: false,
      closed: false,
      silent: false,
      reserved: 0,
      held: new Map(),
      ...wire,
    };
    this.link = link;
    if (reg.token !== undefined) this.watched = this.ctx.credentials.watch(this.connection, hashSecret(reg.token));
    // Jobs it still runs from before its connection dropped are its own again before any new one comes.
    const reattached = reg.reattach ? await core.dispatcher.reattach(link, reg.reattach.worker, reg.reattach.jobs) : [];
    announce(link, spaces, reattached);
    this.ctx.log.info({ worker: id, name: link.name, spaces: reg.spaces, slots: reg.slots }, 'worker registered');
    await core.dispatcher.addWorker(link);
    return link;
  }

  /** Where its token is watched for revocation, until the connection closes. */
  private watched: Bucket | undefined;

  registered(): WorkerLink {
    if (!this.link) throw new SpaceportError('not_registered');
    return this.link;
  }

  /** Applies an event to a job this worker holds; a job it no longer holds gets stale_lease. */
  async jobEvent(jobId: string, build: (held: HeldJob) => BuiltEvent | Promise<BuiltEvent>): Promise<void> {
    const held = this.holding(jobId);
    const built = build(held);
    // Waited for only when it is a promise (files to store): a result without files goes out in this turn.
    const { event, ends, result } = built instanceof Promise ? await built : built;
    const applied = this.apply(held, event, ends, result);
    if (applied instanceof Promise) await applied;
  }

  /**
   * The same for a streamed event that is built at once (a token, progress, started): with the
   * embedded engine it is applied before this returns, with nothing to wait for (the return is
   * not a promise). Throws `stale_lease` at once, or later in the returned promise.
   */
  streamEvent(jobId: string, build: (held: HeldJob) => JobEvent): Now<void> {
    const held = this.holding(jobId);
    return this.apply(held, build(held), false);
  }

  /**
   * The worker failed a job it holds with a retryable error: it goes back after the space's backoff
   * (or fails, out of attempts), and the slot is free either way.
   */
  retryLater(jobId: string, message: string): Promise<void> {
    return this.requeueHeld(this.holding(jobId), 'a retryable error', { message });
  }

  /** A held job goes back to its queue (or, with `retry`, waits out the space's backoff first); its slot frees. */
  private async requeueHeld(held: HeldJob, why: string, retry?: { message: string }): Promise<void> {
    const kept = await this.ctx.core.jobs.release(held, held, why, retry);
    await this.applied(held, true, kept);
  }

  /**
   * Whether to take a worker's message numbered `n` about a job: the next one, yes; one the log
   * already has (sent again after a re-attach), no — it is skipped; one past a gap (messages lost
   * with a connection that the worker could not send again), no — the attempt cannot go on
   * exactly, so it is requeued and the worker told to stop it. Unnumbered messages and jobs not
   * held pass (the event then meets the usual checks).
   */
  takes(jobId: string, n: number | undefined): boolean {
    if (n === undefined) return true;
    const held = this.link?.held.get(jobId);
    if (held?.received === undefined) return true;
    if (n === held.received + 1) return ((held.received = n), true);
    if (n > held.received + 1) this.lostEvents(held, n);
    return false;
  }

  private lostEvents(held: HeldJob, n: number): void {
    const expected = held.received! + 1;
    held.received = undefined; // once: what follows is not counted against the gap again
    this.ctx.log.warn({ job: held.id, worker: held.workerId, expected, got: n }, 'worker events lost; the attempt is requeued');
    this.registered().sendCancel(held.id, 'events of this attempt were lost with the connection');
    this.requeueHeld(held, `events ${expected}..${n - 1} of the worker were lost`).catch((err) => this.ctx.log.error({ err, job: held.id }, 'requeueing after lost events failed'));
  }

  private holding(jobId: string): HeldJob {
    const held = this.registered().held.get(jobId);
    if (!held) throw new SpaceportError('stale_lease', `This worker does not hold job ${jobId}.`, { job: jobId });
    return held;
  }

  private apply(held: HeldJob, event: JobEvent, ends: boolean, result?: JobResult): Now<void> {
    const limit = this.ctx.config.limits.maxJobOutputBytes;
    const before = held.output;
    held.output += outputSize(event);
    if (held.output > limit && event.type !== 'failed') return this.outgrown(held, limit, before > limit);
    // A final event may bring the worker's next job with it (where the engine claims in the same step).
    const ahead = ends ? this.ctx.core.dispatcher.claimAhead(this.registered()) : undefined;
    const kept = this.ctx.core.jobs.workerEvent(held, event, result, ahead);
    if (!(kept instanceof Promise)) return this.applied(held, ends, kept);
    if (ends) return kept.then((k) => this.applied(held, true, k, ahead !== undefined));
    // Streamed events gathered into one engine call share its promise, and so one continuation.
    if (kept !== this.lastKept) {
      this.lastKept = kept;
      this.lastApplied = kept.then((k) => this.applied(held, false, k));
    }
    return this.lastApplied!;
  }

  /**
   * The job's output passed its budget: the event that crossed it is not kept, the job fails with
   * `output_too_large` (so its client knows) and the worker is told to stop — once — and that
   * message, and any the worker sends before it stops, are answered with the same code.
   */
  private outgrown(held: HeldJob, limit: number, already: boolean): never {
    const message = `Job ${held.id} sent more than ${limit} characters of output (tokens and data); it failed.`;
    if (!already) {
      this.registered().sendCancel(held.id, message);
      const failing = (err: unknown) => this.ctx.log.error({ err, job: held.id }, 'failing a job over its output budget failed');
      try {
        void Promise.resolve(this.apply(held, { type: 'failed', code: 'output_too_large', message }, true)).catch(failing);
      } catch (err) {
        failing(err);
      }
    }
    throw new SpaceportError('output_too_large', message, { job: held.id });
  }

  private lastKept?: Promise<boolean>;
  private lastApplied?: Promise<void>;

  /** After the event: a final one frees the slot; one the job no longer takes frees it too, and is stale. */
  private applied(held: HeldJob, ends: boolean, kept: boolean, claimedAhead = false): Now<void> {
    if (!ends && kept) return;
    const freed = this.ctx.core.dispatcher.freeSlot(this.registered(), held.id, claimedAhead && kept);
    const after = () => {
      if (!kept && !held.cancelling) throw new SpaceportError('stale_lease', `Job ${held.id} is no longer held by this worker; the message was discarded.`, { job: held.id });
    };
    return freed instanceof Promise ? freed.then(after) : after();
  }

  /** The connection closed: held jobs go back to their queues once `pending` messages are handled. */
  closed(code: number, pending: (task: () => Promise<void>) => Promise<void>, canReattach = true): void {
    if (this.watched) this.ctx.credentials.forget(this.connection, this.watched);
    const w = this.link;
    if (!w) return;
    this.ctx.log.info({ worker: w.id, code, running: w.held.size }, 'worker disconnected');
    // A connection that dropped (not one the worker or an admin closed) may come back for its jobs.
    const mayReturn = canReattach && code !== 1000 && code !== 1001;
    pending(() => this.ctx.core.dispatcher.removeWorker(w, 'worker disconnected', mayReturn)).catch((err) => this.ctx.log.error({ err }, 'worker removal failed'));
  }
}

/** What an event adds to its job's output, in characters: data as the edge's JSON bounds count it (the budget is about the store, not exact bytes). */
function outputSize(event: JobEvent): number {
  switch (event.type) {
    case 'token':
      return event.text.length;
    case 'progress':
      return event.message?.length ?? 0;
    case 'partial':
    case 'result':
      return event.data === null || event.data === undefined ? 0 : jsonSize(event.data);
    default:
      return 0;
  }
}
