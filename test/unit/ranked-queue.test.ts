import { describe, expect, it } from 'vitest';
import { RankedQueue } from '../../src/engine/embedded/ranked-queue.ts';

/** The embedded engine's queue order (src/engine/embedded/ranked-queue.ts) against the plainest model: a sorted array. */
describe('RankedQueue', () => {
  it('agrees with a sorted array through 20,000 random joins, leaves, lookups and slices', () => {
    const queue = new RankedQueue();
    const model: Array<{ id: string; rank: number }> = [];
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let step = 0; step < 20_000; step++) {
      const op = random(10);
      if (op < 5 || model.length === 0) {
        const id = `j${step}`;
        const rank = random(50); // few ranks: many ties, which keep the order they joined in
        const at = model.findIndex((e) => e.rank > rank);
        const expected = at < 0 ? model.length : at;
        model.splice(expected, 0, { id, rank });
        expect(queue.join(id, rank)).toBe(expected);
      } else if (op < 8) {
        const at = random(model.length);
        expect(queue.leave(model[at]!.id)).toBe(at);
        model.splice(at, 1);
      } else if (op === 8) {
        const at = random(model.length);
        expect(queue.position(model[at]!.id)).toBe(at);
        expect(queue.head()).toEqual(model[0]);
      } else {
        const start = random(model.length + 1);
        const end = start + random(20);
        expect(queue.slice(start, end)).toEqual(model.slice(start, end).map((e) => e.id));
      }
      expect(queue.length).toBe(model.length);
    }
    expect(queue.slice()).toEqual(model.map((e) => e.id));
    expect(queue.leave('nobody')).toBe(-1);
    expect(queue.position('nobody')).toBe(-1);
  });

  it('keeps its depth logarithmic: 200,000 joins at the tail, then leaves from the head', () => {
    // Recursion follows the tree's depth; a degenerate (list-shaped) tree would overflow the stack here.
    const queue = new RankedQueue();
    for (let i = 0; i < 200_000; i++) queue.join(`j${i}`, i);
    expect(queue.position('j123456')).toBe(123_456);
    for (let i = 0; i < 1000; i++) expect(queue.leave(`j${i}`)).toBe(0);
    expect(queue.head()).toEqual({ id: 'j1000', rank: 1000 });
    expect(queue.slice(0, 2)).toEqual(['j1000', 'j1001']);
  });
});
