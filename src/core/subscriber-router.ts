import type { EventReach } from './ports/bus.ts';
import type { Identity } from './types.ts';

/** A local consumer of job events and space status: a WebSocket connection, an SSE stream. */
export interface Subscriber {
  readonly identity: Identity;
  /** A job event line; `jobId` is passed so the subscriber need not parse the line. */
  deliverEvent(jobId: string, line: string): void;
  /** A space_status line. */
  deliverStatus(line: string): void;
}

/** Through a space or `all`: admins see every job; others the jobs they own (anonymous callers only through the job topic). */
function seesJobsOf(sub: Subscriber, ownerId: string): boolean {
  return sub.identity.kind === 'admin' || (sub.identity.kind !== 'anonymous' && sub.identity.id === ownerId);
}

/**
 * Routes what arrives on this instance's bus to its local subscribers. One bus message per event
 * fans out here, so the cost of a subscriber is a Set lookup, never a publish. A subscriber that is
 * reached through several topics receives each event once.
 */
export class SubscriberRouter {
  /**
   * `isPublic(spaceId)`: the jobs of the space may be watched by anyone (SpaceVisibility).
   * `watching(spaceId, on)`: the first subscriber to a space's jobs (null: to every space's) came
   * or the last one left — the bus's `watch`, so events reach this instance only while wanted here.
   */
  constructor(
    private readonly isPublic: (spaceId: string) => boolean = () => false,
    private readonly watching: (spaceId: string | null, on: boolean) => void = () => {},
  ) {}

  private readonly byJob = new Map<string, Set<Subscriber>>();
  private readonly bySpace = new Map<string, Set<Subscriber>>();
  private readonly everything = new Set<Subscriber>();

  subscribeJob(jobId: string, sub: Subscriber): void {
    addTo(this.byJob, jobId, sub);
  }
  unsubscribeJob(jobId: string, sub: Subscriber): void {
    removeFrom(this.byJob, jobId, sub);
  }
  subscribeSpace(spaceId: string, sub: Subscriber): void {
    if (addTo(this.bySpace, spaceId, sub)) this.watching(spaceId, true);
  }
  unsubscribeSpace(spaceId: string, sub: Subscriber): void {
    if (removeFrom(this.bySpace, spaceId, sub)) this.watching(spaceId, false);
  }
  subscribeAll(sub: Subscriber): void {
    if (this.everything.size === 0) this.watching(null, true);
    this.everything.add(sub);
  }
  unsubscribeAll(sub: Subscriber): void {
    if (this.everything.delete(sub) && this.everything.size === 0) this.watching(null, false);
  }

  /** Forgets a subscriber everywhere (connection closed). */
  drop(sub: Subscriber, jobIds: Iterable<string>, spaceIds: Iterable<string>): void {
    for (const id of jobIds) this.unsubscribeJob(id, sub);
    for (const id of spaceIds) this.unsubscribeSpace(id, sub);
    this.unsubscribeAll(sub);
  }

  /**
   * `reach`: who the bus delivered it for (ports/bus.ts) — the job's followers here, or the
   * watchers of its space or of everything; each hears it once either way.
   */
  routeEvent(spaceId: string, jobId: string, ownerId: string, line: string, final: boolean, reach?: EventReach): void {
    const direct = this.byJob.get(jobId);
    if (reach !== 'watchers') {
      if (direct) for (const sub of direct) sub.deliverEvent(jobId, line);
      // Nothing follows a final event: the job topic can go.
      if (final) this.byJob.delete(jobId);
      if (reach === 'followers') return;
    }
    const inSpace = this.bySpace.get(spaceId);
    // Through a space or `all` only: the space's visibility is asked for then, not per event.
    if (inSpace || this.everything.size > 0) {
      const open = this.isPublic(spaceId);
      if (inSpace) {
        for (const sub of inSpace) if (!direct?.has(sub) && (open || seesJobsOf(sub, ownerId))) sub.deliverEvent(jobId, line);
      }
      // Checked first: iterating even an empty Set allocates an iterator, per event.
      if (this.everything.size > 0) {
        for (const sub of this.everything) if (!direct?.has(sub) && !inSpace?.has(sub) && (open || seesJobsOf(sub, ownerId))) sub.deliverEvent(jobId, line);
      }
    }
  }

  routeStatus(spaceId: string, line: string): void {
    const inSpace = this.bySpace.get(spaceId);
    if (inSpace) for (const sub of inSpace) sub.deliverStatus(line);
    for (const sub of this.everything) if (!inSpace?.has(sub)) sub.deliverStatus(line);
  }
}

/** → true when `key` had no subscriber before. */
function addTo<K>(map: Map<K, Set<Subscriber>>, key: K, sub: Subscriber): boolean {
  const set = map.get(key);
  if (!set) {
    map.set(key, new Set([sub]));
    return true;
  }
  set.add(sub);
  return false;
}

/** → true when `key` has no subscriber left (it had this one). */
function removeFrom<K>(map: Map<K, Set<Subscriber>>, key: K, sub: Subscriber): boolean {
  const set = map.get(key);
  if (!set?.delete(sub) || set.size > 0) return false;
  map.delete(key);
  return true;
}
