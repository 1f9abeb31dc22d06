import { describe, expect, it } from 'vitest';
import { LiveMediaBudget } from '../../src/engine/redis/live-media-budget.ts';

describe('LiveMediaBudget', () => {
  it('names the oldest files to delete once over its bytes, and forgets those Redis expired by itself', () => {
    let now = 0;
    const budget = new LiveMediaBudget(100, 1000, () => now);
    expect(budget.add('a', 40)).toEqual([]);
    expect(budget.add('b', 40)).toEqual([]);
    expect(budget.add('c', 40)).toEqual(['a']);
    now = 500;
    expect(budget.add('d', 50)).toEqual(['b']);
    now = 1500; // c and d expired in Redis: nothing to delete, and their bytes no longer count
    expect(budget.add('e', 90)).toEqual([]);
    expect(budget.add('f', 20)).toEqual(['e']);
  });

  it('stays small over many files', () => {
    let now = 0;
    const budget = new LiveMediaBudget(1000, 10, () => now);
    for (let i = 0; i < 100_000; i++) {
      now += 1;
      budget.add(`f${i}`, 100);
    }
    expect((budget as unknown as { stored: unknown[] }).stored.length).toBeLessThan(3000);
  });
});
