import { describe, expect, it } from 'vitest';
import { DurationEstimate } from '../../src/core/eta.ts';

describe('DurationEstimate (queue ETAs)', () => {
  it('knows nothing before a job has finished, or with no slot serving the space', () => {
    const e = new DurationEstimate();
    expect(e.etaMs(0, 4)).toBeNull();
    e.record(1000);
    expect(e.etaMs(3, 0)).toBeNull();
  });

  it('counts the rounds of slots a job waits through: ceil((ahead + 1) / slots) runs', () => {
    const e = new DurationEstimate();
    e.record(1000);
    expect([0, 1, 2, 3, 4].map((ahead) => e.etaMs(ahead, 2))).toEqual([1000, 1000, 2000, 2000, 3000]);
    expect(e.etaMs(7, 1)).toBe(8000);
  });

  it('follows how long jobs really run, weighting the recent ones (an exponential average)', () => {
    const e = new DurationEstimate(0.5);
    e.record(1000);
    e.record(2000);
    expect(e.averageMs).toBe(1500);
    for (let i = 0; i < 20; i++) e.record(4000);
    expect(e.averageMs).toBeGreaterThan(3999);
    expect(e.etaMs(0, 1)).toBe(4000);
  });
});
