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
