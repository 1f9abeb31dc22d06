import type { Benchmark, Sizes } from './benchmark.ts';
import { round } from './stats.ts';
import type { Target } from './targets/target.ts';

/** target name → benchmark key → field → median. */
export type Results = Record<string, Record<string, Record<string, number>>>;
/** pair key → benchmark key → field → ratio (null when the divisor is 0). */
export type Ratios = Record<string, Record<string, Record<string, number | null>>>;

/** The comparisons reported, numerator ÷ denominator, where both took part in a benchmark. */
export const PAIRS = [
  { key: 'gatewayVsRaw', label: 'gateway ÷ raw ws', a: 'spaceport gateway', b: 'raw ws relay' },
  { key: 'gatewayVsSocketIo', label: 'gateway ÷ Socket.IO', a: 'spaceport gateway', b: 'Socket.IO relay' },
  { key: 'socketIoVsRaw', label: 'Socket.IO ÷ raw ws', a: 'Socket.IO relay', b: 'raw ws relay' },
  { key: 'crossVsRaw', label: '×2 via Redis ÷ raw ws', a: 'gateway ×2 via Redis', b: 'raw ws relay' },
  { key: 'rawViaRedisVsRaw', label: 'raw ×2 via Redis ÷ raw ws', a: 'raw ws ×2 via Redis', b: 'raw ws relay' },
  { key: 'crossVsRawViaRedis', label: '×2 via Redis ÷ raw ×2 via Redis', a: 'gateway ×2 via Redis', b: 'raw ws ×2 via Redis' },
  { key: 'crossVsGateway', label: '×2 via Redis ÷ gateway', a: 'gateway ×2 via Redis', b: 'spaceport gateway' },
  { key: 'crossVsBullMq', label: '×2 via Redis ÷ BullMQ', a: 'gateway ×2 via Redis', b: 'BullMQ' },
  { key: 'gatewayVsBullMq', label: 'gateway ÷ BullMQ', a: 'spaceport gateway', b: 'BullMQ' },
  { key: 'dialectVsGateway', label: '/ws dialect ÷ /v1/ws', a: 'gateway /ws dialect', b: 'spaceport gateway' },
  { key: 'storedVsRaw', label: 'stored result ÷ raw ws', a: 'gateway, stored result file', b: 'raw ws relay' },
  // What the gateway and the worker in between add, also as a difference (the goal is in milliseconds).
  { key: 'openAiViaGatewayVsDirect', label: 'via gateway ÷ direct', a: 'OpenAI via gateway + worker --openai', b: 'OpenAI server direct', minus: 'via gateway − direct' },
  // The hops alone (a bare relay and its worker), and what the gateway adds beyond them.
  { key: 'openAiViaRelayVsDirect', label: 'via bare relay ÷ direct', a: 'OpenAI via bare relay + worker', b: 'OpenAI server direct', minus: 'via bare relay − direct' },
  { key: 'openAiViaGatewayVsRelay', label: 'via gateway ÷ via bare relay', a: 'OpenAI via gateway + worker --openai', b: 'OpenAI via bare relay + worker', minus: 'via gateway − via bare relay' },
];

export function ratiosOf(results: Results): Ratios {
  const ratios: Ratios = {};
  for (const p of PAIRS) {
    for (const [bench, a] of Object.entries(results[p.a] ?? {})) {
      const b = results[p.b]?.[bench];
      if (!b) continue;
      (ratios[p.key] ??= {})[bench] = Object.fromEntries(Object.keys(a).map((k) => [k, b[k]! !== 0 ? round(a[k]! / b[k]!) : null]));
    }
  }
  return ratios;
}

export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows].map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  return [title, ...cells.map(line)].join('\n');
}

/** Small values keep two decimals; large ones are rounded to whole numbers. */
export const shown = (v: number) => (Math.abs(v) >= 100 ? Math.round(v) : round(v));

export function printReport(benchmarks: Benchmark[], sizes: Sizes, targets: Target[], results: Results, ratios: Ratios): void {
  for (const b of benchmarks) {
    const rows: (string | number)[][] = [];
    for (const t of targets) {
      const r = results[t.name]?.[b.key];
      if (r) rows.push([t.name, ...b.columns.map(([k]) => shown(r[k]!))]);
    }
    for (const p of PAIRS) {
      const r = ratios[p.key]?.[b.key];
      if (r && b.ratios !== false) rows.push([p.label, ...b.columns.map(([k]) => (r[k] === null ? 'n/a' : `${r[k]}×`))]);
      const [a, d] = [results[p.a]?.[b.key], results[p.b]?.[b.key]];
      if (p.minus && a && d) rows.push([p.minus, ...b.columns.map(([k]) => shown(a[k]! - d[k]!))]);
    }
    console.log(table(b.title(sizes), ['target', ...b.columns.map(([, label]) => label)], rows));
    console.log();
  }
}
