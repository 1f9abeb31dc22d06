import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountingHistogram } from '../../src/server/counting-histogram.ts';

describe('CountingHistogram', () => {
  const bounds = [0.005, 0.01, 0.1, 1, 10];
  const observations: Array<[number, string, string]> = [
    [0.001, 'echo', 'completed'],
    [0.005, 'echo', 'completed'],
    [0.0051, 'echo', 'failed'],
    [0.5, 'ocr "v2"', 'completed'],
    [10, 'echo', 'completed'],
    [11, 'echo', 'completed'],
    [0, 'ocr "v2"', 'cancelled'],
  ];

  it("scrapes exactly as prom-client's own histogram with the same observations", async () => {
    for (const labelNames of [[], ['space'], ['space', 'state']]) {
      const ours = new client.Registry();
      const theirs = new client.Registry();
      const counting = new CountingHistogram(ours, 'h_seconds', 'A histogram', labelNames, bounds);
      const reference = new client.Histogram({ name: 'h_seconds', help: 'A histogram', labelNames, buckets: bounds, registers: [theirs] });
      for (const [value, space, state] of observations) {
        counting.observe(value, space, state);
        reference.observe([{}, { space }, { space, state }][labelNames.length]!, value);
      }
      expect(await ours.metrics()).toBe(await theirs.metrics());
      // The JSON form too, but for prom-client's empty exemplar fields.
      const plain = (metrics: Awaited<ReturnType<client.Registry['getMetricsAsJSON']>>) =>
        metrics.map((m) => ({
          ...m,
          values: m.values.map((v) => ({ labels: v.labels, value: v.value, metricName: (v as { metricName?: string }).metricName })),
        }));
      expect(plain(await ours.getMetricsAsJSON())).toEqual(plain(await theirs.getMetricsAsJSON()));
    }
  });
});
