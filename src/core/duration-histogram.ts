/**
 * Durations counted in buckets that grow by an eighth of a doubling (each about 9% wider than the
 * last), so histograms from several instances add up exactly and their percentiles come out within
 * ±5%, at a few dozen numbers per interval instead of every duration. Bucket 0 holds what took
 * under a millisecond.
 */
export type Histogram = Record<number, number>;

const STEPS_PER_DOUBLING = 8;

const bucketOf = (ms: number): number => (ms < 1 ? 0 : 1 + Math.floor(Math.log2(ms) * STEPS_PER_DOUBLING));

/** A bucket's middle (geometric), in whole ms: what its durations are reported as. */
const middleOf = (bucket: number): number => (bucket === 0 ? 0 : Math.round(2 ** ((bucket - 0.5) / STEPS_PER_DOUBLING)));

export function count(histogram: Histogram, ms: number): void {
  const bucket = bucketOf(ms);
  histogram[bucket] = (histogram[bucket] ?? 0) + 1;
}

export function addInto(into: Histogram, from: Histogram): void {
  for (const [bucket, n] of Object.entries(from)) if (Number.isSafeInteger(n) && n > 0) into[Number(bucket)] = (into[Number(bucket)] ?? 0) + n;
}

/** The q-quantile (0..1) of the durations counted, or null when there are none. */
export function quantileOf(histogram: Histogram, q: number): number | null {
  const buckets = Object.keys(histogram)
    .map(Number)
    .sort((a, b) => a - b);
  const total = buckets.reduce((n, b) => n + histogram[b]!, 0);
  if (total === 0) return null;
  const rank = Math.min(total - 1, Math.floor(q * total));
  let seen = 0;
  for (const bucket of buckets) {
    seen += histogram[bucket]!;
    if (seen > rank) return middleOf(bucket);
  }
  return null;
}
