/**
 * Which queue positions are worth telling (docs/queue.md). A client near the head learns every
 * move; one far back learns its position when its first two digits change (…, 990, 1,000, 1,100,
 * …, 9,900, 10,000, 11,000, …), so each job is told O(log n) times on its way to the head, and a
 * dispatch — which moves every job one place — tells O(log n) clients, not all n.
 */

/** Positions below this are told exactly, on every change; from it on, the far part of the queue (queue-monitor.ts looks at it less often). */
export const EXACT_BELOW = 100;

/** The size of the step `position` is in: 1 below 100, then 10 below 1,000, 100 below 10,000, …. */
function stepSize(position: number): number {
  let size = 1;
  while (position >= size * EXACT_BELOW) size *= 10;
  return size;
}

/** The step a position is in: the position itself below 100, else its first two digits followed by zeros. */
export function positionStep(position: number): number {
  const size = stepSize(position);
  return position - (position % size);
}

/**
 * The positions at which a job may have changed step since a queue's last look, given that since
 * then `departures` jobs left it (each moving the jobs behind one place forward) and
 * `insertionsAhead` were placed ahead of others (each moving them one place back): a job that
 * crossed the start `s` of a step is now within [s − departures, s + insertionsAhead). As sorted,
 * disjoint [start, end) ranges within the queue's `length` and the part of it looked at, `within`.
 */
export function movedRanges(length: number, departures: number, insertionsAhead: number, within: readonly [number, number] = [0, length]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const [from, to] = [Math.max(0, within[0]), Math.min(length, within[1])];
  for (let s = 1; s - departures < to; s += stepSize(s)) {
    const start = Math.max(from, s - departures);
    const end = Math.min(to, s + insertionsAhead);
    if (end <= start) continue;
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}
