import type client from 'prom-client';

/** One line of the exposition, as prom-client's registry takes it. */
type Sample = { labels: Record<string, string | number>; value: number; metricName: string };

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative), the last one past every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram whose `observe` is a Map lookup and two additions: the job metrics are
 * noted once or twice per job, on the path from a worker's `started` to the job's result, where
 * prom-client's observe (a closure, label validation and a label hash per call) took several µs.
 * The exposition is prom-client's own (the registry formats what `get` returns), so scrapes read
 * the same; label values are given in `labelNames` order, and at most two are supported.
 */
export class CountingHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    registry: client.Registry,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    if (labelNames.length > 2) throw new Error('CountingHistogram: at most two labels');
    registry.registerMetric(this as unknown as client.Metric);
  }

  /** One observation of `value`, for the label values `a` (and `b`), in `labelNames` order. */
  observe(value: number, a = '', b = ''): void {
    const labelled = this.labelNames.length;
    const key = labelled === 0 ? '' : labelled === 1 ? a : `${a}\u0000${b}`;
    let s = this.series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      [a, b].slice(0, labelled).forEach((v, i) => (labels[this.labelNames[i]!] = v));
      this.series.set(key, (s = { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 }));
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  /** What prom-client's registry formats: cumulative buckets, then +Inf, sum and count, per series. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let below = 0;
      this.bounds.forEach((le, i) => {
        below += s.counts[i]!;
        values.push({ labels: { le, ...s.labels }, value: below, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
