import type { ParkedClaim } from '../../core/ports/jobs.ts';
import type { Job } from '../../core/types.ts';
import { jobFromHash } from './job-hash.ts';

/** How long a withdrawn slot that was assigned a job meanwhile waits for the assignment (lost with a dropped subscription otherwise). */
const ASSIGNMENT_GRACE_MS = 2000;

/** A claim's token, and what answers it if its slot parks. */
export interface ParkingWait {
  token: string;
  parked: ParkedClaim;
  /** Claimed at once, or failed: nothing was parked under the token. */
  settled(): void;
}

interface Wait {
  workerId: string;
  settle: (job: Job | null) => void;
}

/**
 * This instance's side of parked slots (parking-scripts.ts): each claim that may park carries a
 * token, and its wait is registered before the script runs — an assignment published by another
 * instance's script can arrive on the subscription before the claim's own reply does. The wait
 * ends with the job assigned (on `channel`), or null once the slot is withdrawn (unpark).
 */
export function redisParking(instanceId: string, unparkScript: (tokens: string[]) => Promise<string[]>) {
  const waits = new Map<string, Wait>();
  let next = 0;

  const settle = (token: string, job: Job | null) => {
    const wait = waits.get(token);
    waits.delete(token);
    wait?.settle(job);
  };

  return {
    /** The bus channel (under the bus prefix) this instance's assignments come on. */
    channel: `assign:${instanceId}`,

    /** A claim about to run: its token, and what answers it when the slot parks. */
    claim(workerId: string): ParkingWait {
      const token = `${instanceId}.${++next}`;
      const assigned = new Promise<Job | null>((resolve) => waits.set(token, { workerId, settle: resolve }));
      return { token, parked: { assigned }, settled: () => waits.delete(token) };
    },

    /** A message on `channel`: `<token> <the job's hash as a JSON array>`. */
    assigned(payload: string): void {
      const space = payload.indexOf(' ');
      settle(payload.slice(0, space), jobFromHash(JSON.parse(payload.slice(space + 1)) as string[]));
    },

    /** Withdraws the parked slots of `workerId` (all of this instance's when undefined: a reconnect may have lost assignments). */
    async unpark(workerId?: string): Promise<void> {
      const tokens = [...waits].filter(([, w]) => workerId === undefined || w.workerId === workerId).map(([t]) => t);
      if (tokens.length === 0) return;
      const withdrawn = new Set(await unparkScript(tokens));
      for (const token of tokens) {
        if (withdrawn.has(token)) settle(token, null);
        // Assigned before it was withdrawn: its job is on the way, unless the subscription lost it
        // (then its lease runs out and requeues it) — the slot does not wait for it forever.
        else setTimeout(() => settle(token, null), ASSIGNMENT_GRACE_MS).unref();
      }
    },
  };
}
