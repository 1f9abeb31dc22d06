import { describe, expect, it } from 'vitest';
import { movedRanges, positionStep } from '../../src/core/position-steps.ts';

/** Which positions are told (src/core/position-steps.ts), checked against moving a model queue. */
describe('position steps', () => {
  it('tells every place below 100, then each change of the first two digits', () => {
    expect([0, 1, 99, 100, 109, 110, 999, 1000, 1099, 1100, 12_345, 99_999, 100_000].map(positionStep)).toEqual([0, 1, 99, 100, 100, 110, 990, 1000, 1000, 1100, 12_000, 99_000, 100_000]);
  });

  it('finds every job whose step changed, in ranges whose size grows with the moves, not the queue', () => {
    for (const [length, departures, insertions] of [
      [5000, 1, 0],
      [5000, 0, 1],
      [5000, 37, 12],
      [300, 250, 3],
      [20_000, 3, 3],
    ] as const) {
      // A queue of ids 0..length-1; `departures` leave from random places, `insertions` join ahead of the tail.
      let queue = Array.from({ length }, (_, i) => i);
      const before = new Map(queue.map((id, p) => [id, p]));
      for (let d = 0; d < departures; d++) queue.splice(Math.floor(Math.random() * queue.length), 1);
      for (let n = 0; n < insertions; n++) queue.splice(Math.floor(Math.random() * (queue.length - 1)), 0, -1 - n);
      queue = queue.slice(0, length - departures + insertions);
      const ranges = movedRanges(queue.length, departures, insertions);
      const looked = new Set(ranges.flatMap(([s, e]) => Array.from({ length: e - s }, (_, i) => s + i)));
      queue.forEach((id, p) => {
        const was = before.get(id);
        if (was !== undefined && positionStep(was) !== positionStep(p)) expect(looked.has(p), `job ${id}: ${was} → ${p}`).toBe(true);
      });
      for (let r = 1; r < ranges.length; r++) expect(ranges[r]![0]).toBeGreaterThan(ranges[r - 1]![1]);
      // Looked at in two parts (the head and the rest, queue-monitor.ts): the same places between them, none outside its part.
      const near = movedRanges(queue.length, departures, insertions, [0, 100]);
      const far = movedRanges(queue.length, departures, insertions, [100, queue.length]);
      expect([...near.flat().filter((p) => p > 100), ...far.flat().filter((p) => p < 100)]).toEqual([]);
      const inParts = new Set([...near, ...far].flatMap(([s, e]) => Array.from({ length: e - s }, (_, i) => s + i)));
      expect([...inParts].sort((x, y) => x - y)).toEqual([...looked].sort((x, y) => x - y));
      // One move a look costs ~100 exact places plus ~90 per tenfold of the queue: not its length.
      if (departures + insertions <= 2) expect(looked.size).toBeLessThan(100 + 90 * Math.log10(length));
    }
  });
});
