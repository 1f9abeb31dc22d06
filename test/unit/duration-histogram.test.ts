import { describe, expect, it } from 'vitest';
import { addInto, count, type Histogram, quantileOf } from '../../src/core/duration-histogram.ts';

/** The exact q-quantile the histogram approximates (the same rank rule). */
const exact = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

describe('duration histograms', () => {
  it('give percentiles within 5% of the exact ones, from a millisecond to an hour', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (const scale of [3, 40, 900, 60_000, 3_600_000]) {
      const values = Array.from({ length: 2000 }, () => 1 + random() * scale);
      const h: Histogram = {};
      for (const v of values) count(h, v);
      for (const q of [0.5, 0.95]) {
        const want = exact(values, q);
        expect(Math.abs(quantileOf(h, q)! - want) / want).toBeLessThan(0.05 + 1 / want);
      }
    }
  });

  it('add up exactly: two instances’ histograms are one of all their durations', () => {
    const a: Histogram = {};
    const b: Histogram = {};
    const all: Histogram = {};
    for (let i = 0; i < 500; i++) {
      count(i % 2 ? a : b, i * 3.7);
      count(all, i * 3.7);
    }
    const merged: Histogram = {};
    addInto(merged, a);
    addInto(merged, b);
    expect(merged).toEqual(all);
    expect(quantileOf(merged, 0.5)).toBe(quantileOf(all, 0.5));
  });

  it('count what took under a millisecond as 0, and nothing as null', () => {
    const h: Histogram = {};
    expect(quantileOf(h, 0.5)).toBeNull();
    count(h, 0.4);
    expect(quantileOf(h, 0.5)).toBe(0);
  });
});
