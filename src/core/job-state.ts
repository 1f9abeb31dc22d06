import type { JobState } from './types.ts';

/** The job state machine: queued → assigned → running → completed / failed / cancelled / timed_out. */
const NEXT: Record<JobState, readonly JobState[]> = {
  // A queued job can also fail (max attempts reached while requeueing) or end without running.
  queued: ['assigned', 'cancelled', 'timed_out', 'failed'],
  // assigned/running → queued is a lost lease: the job goes back to the head of its queue.
  assigned: ['running', 'queued', 'completed', 'failed', 'cancelled', 'timed_out'],
  running: ['queued', 'completed', 'failed', 'cancelled', 'timed_out'],
  completed: [],
  failed: [],
  cancelled: [],
  timed_out: [],
};

/** Every state, in the machine's order. */
export const JOB_STATES = Object.keys(NEXT) as JobState[];

/** A count of jobs per state, all at zero (for engines' countJobs). */
export function noJobs(): Record<JobState, number> {
  return { queued: 0, assigned: 0, running: 0, completed: 0, failed: 0, cancelled: 0, timed_out: 0 };
}

export function canTransition(from: JobState, to: JobState): boolean {
  return NEXT[from].includes(to);
}

export function isFinal(state: JobState): boolean {
  return NEXT[state].length === 0;
}

/** A worker holds the job in these states. */
export function isLeased(state: JobState): boolean {
  return state === 'assigned' || state === 'running';
}
