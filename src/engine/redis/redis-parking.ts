import type { ParkedClaim } from '../../core/ports/jobs.ts';
import type { Job } from '../../core/types.ts';
import { jobFromHash } from './job-hash.ts';

/** How long a withdrawn slot that was assigned a job meanwhile waits for the assignment before looking it up (a dropped subscription lost it). */
const ASSIGNMENT_GRACE_MS = 1000;

/** A claim that may park: its slot as the scripts keep it, and what answers it if it parks. */
export interface ParkingWait {
  slot: string;
  /** The claim's script, run with the slot: when it fails, nothing was parked. */
  during<T>(script: Promise<T>): Promise<T>;
  /** What the script answered: the job it claimed, or (`parked`) the wait for the job that will come. */
  answer(job: Job | null, parked: boolean): Job | ParkedClaim | null;
}

interface Wait {
  workerId: string;
  slot: string;
  settle: (job: Job | null) => void;
}

/**
 * This instance's side of parked slots (parking-scripts.ts): each claim that may park carries a
 * slot named by a token, and its wait is registered before the script runs — an assignment
 * published by another instance's script can arrive on the subscription before the claim's own
 * reply does. The wait ends with the job assigned (on this instance's assignment channel), or null
 * once the slot is withdrawn (unpark).
 */
export function redisParking(
  instanceId: string,
  unparkScript: (slots: string[]) => Promise<string[]>,
  /** The job assigned under a token (parking-scripts.ts keeps its id for the lease's length), or null. */
  assignedUnder: (token: string) => Promise<Job | null>,
) {
  const waits = new Map<string, Wait>();
  /** The tokens of each worker's waits: withdrawing one worker's slots looks at its own, not at every worker's. */
  const tokensOf = new Map<string, Set<string>>();
  let next = 0;

  const forget = (token: string): Wait | undefined => {
    const wait = waits.get(token);
    if (!wait) return;
    waits.delete(token);
    const tokens = tokensOf.get(wait.workerId)!;
    tokens.delete(token);
    if (tokens.size === 0) tokensOf.delete(wait.workerId);
    return wait;
  };
  const settle = (token: string, job: Job | null) => forget(token)?.settle(job);

  const lookUp = async (token: string) => {
    const wait = waits.get(token);
    if (!wait) return;
    const job = await assignedUnder(token).catch(() => null);
    settle(token, job?.state === 'assigned' && job.worker_id === wait.workerId ? job : null);
  };

  return {
    /** A claim about to run for the worker: its slot (parking-scripts.ts's member), and what answers it when it parks. */
    claim(workerId: string, spaceIds: string[], leaseMs: number): ParkingWait {
      const token = `${instanceId}.${++next}`;
      const slot = [token, instanceId, workerId, leaseMs, ...spaceIds].join(' ');
      const assigned = new Promise<Job | null>((resolve) => {
        waits.set(token, { workerId, slot, settle: resolve });
        tokensOf.set(workerId, (tokensOf.get(workerId) ?? new Set<string>()).add(token));
      });
      return {
        slot,
        during: (script) =>
          script.catch((err: unknown) => {
            forget(token);
            throw err;
          }),
        answer(job, parked) {
          if (parked) return { assigned };
          forget(token);
          return job;
        },
      };
    },

    /** A message on this instance's assignment channel: `<token> <the job's hash as a JSON array>`. */
    assigned(payload: string): void {
      const space = payload.indexOf(' ');
      settle(payload.slice(0, space), jobFromHash(JSON.parse(payload.slice(space + 1)) as string[]));
    },

    /** Withdraws the parked slots of `workerId` (all of this instance's when undefined: a reconnect may have lost assignments). */
    async unpark(workerId?: string): Promise<void> {
      const tokens = workerId === undefined ? [...waits.keys()] : [...(tokensOf.get(workerId) ?? [])];
      const mine = tokens.map((token) => [token, waits.get(token)!] as const);
      if (mine.length === 0) return;
      const withdrawn = new Set(await unparkScript(mine.map(([, w]) => w.slot)));
      for (const [token, { slot }] of mine) {
        if (withdrawn.has(slot)) settle(token, null);
        // Assigned before it was withdrawn: its job is on the way, unless the subscription lost it —
        // then it is looked up (still this worker's, this attempt) rather than left to its lease.
        else setTimeout(() => void lookUp(token), ASSIGNMENT_GRACE_MS).unref();
      }
    },
  };
}
