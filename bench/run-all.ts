/**
 * Runs every benchmark against the baseline relays and the gateway in the same run, and prints
 * ratios (absolute numbers swing with the machine; ratios taken minutes apart on it do not).
 * Usage: npm run bench [-- --quick] [-- --json FILE]
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { dispatchRoundTrip, type RoundTripResult } from './dispatch-round-trip.ts';
import { fanOut, type FanOutResult } from './fan-out.ts';
import { idleConnections, type IdleResult } from './idle-connections.ts';
import { quantile, round } from './stats.ts';
import { crossInstanceTarget, gatewayTarget, rawWsTarget, socketIoTarget, type Target } from './targets.ts';
import { tokenRelay, type TokenRelayResult } from './token-relay.ts';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } } });
const sizes = args.quick
  ? { rounds: 1, streams: 2, tokens: 500, jobs: 50, subscribers: 10, fanTokens: 20, idle: 50 }
  : { rounds: 3, streams: 4, tokens: 10_000, jobs: 1000, subscribers: 1000, fanTokens: 100, idle: 5000 };

/** Median of each numeric field over the rounds: one noisy round does not decide the result. */
function medianOf<T extends Record<string, number>>(runs: T[]): T {
  const keys = Object.keys(runs[0]!) as (keyof T)[];
  return Object.fromEntries(keys.map((k) => [k, quantile(runs.map((r) => r[k] as number), 0.5)])) as T;
}

async function measure(targets: Target[]) {
  const relay = new Map<string, TokenRelayResult[]>();
  const trip = new Map<string, RoundTripResult[]>();
  const fan = new Map<string, FanOutResult[]>();
  const idle = new Map<string, IdleResult[]>();
  // A short unmeasured pass first: JIT warm-up would otherwise land on whoever goes first.
  for (const t of targets) {
    await tokenRelay(t, { streams: sizes.streams, tokens: Math.ceil(sizes.tokens / 4) });
    await dispatchRoundTrip(t, Math.ceil(sizes.jobs / 10));
  }
  // Rounds alternate between targets so a slow spell on the machine hits both alike.
  for (let r = 0; r < sizes.rounds; r++) {
    for (const t of targets) {
      relay.set(t.name, [...(relay.get(t.name) ?? []), await tokenRelay(t, sizes)]);
      trip.set(t.name, [...(trip.get(t.name) ?? []), await dispatchRoundTrip(t, sizes.jobs)]);
      fan.set(t.name, [...(fan.get(t.name) ?? []), await fanOut(t, { subscribers: sizes.subscribers, tokens: sizes.fanTokens })]);
      idle.set(t.name, [...(idle.get(t.name) ?? []), await idleConnections(t, sizes.idle)]);
    }
  }
  return {
    relay: new Map([...relay].map(([k, v]) => [k, medianOf(v as unknown as Record<string, number>[]) as unknown as TokenRelayResult])),
    trip: new Map([...trip].map(([k, v]) => [k, medianOf(v as unknown as Record<string, number>[]) as unknown as RoundTripResult])),
    fan: new Map([...fan].map(([k, v]) => [k, medianOf(v as unknown as Record<string, number>[]) as unknown as FanOutResult])),
    idle: new Map([...idle].map(([k, v]) => [k, medianOf(v as unknown as Record<string, number>[]) as unknown as IdleResult])),
  };
}

/** a ÷ b, or null when b is too small to divide by (CPU time is counted in 10 ms ticks). */
function ratio(a: number, b: number): number | null {
  return b > 0 ? round(a / b) : null;
}

function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows].map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
  return [title, ...cells.map(line)].join('\n');
}

const targets = [await rawWsTarget(), await gatewayTarget(), await crossInstanceTarget(), await socketIoTarget()];
try {
  const { relay, trip, fan, idle } = await measure(targets);
  const [raw, single, cross, sio] = targets.map((t) => t.name) as [string, string, string, string];
  const r = (k: string) => relay.get(k)!;
  const d = (k: string) => trip.get(k)!;
  const f = (k: string) => fan.get(k)!;
  const i = (k: string) => idle.get(k)!;
  const compare = (a: string, b: string) => ({
    relayThroughput: ratio(r(a).tokensPerSecond, r(b).tokensPerSecond),
    relayCpuPerToken: ratio(r(a).serverCpuMicrosPerToken, r(b).serverCpuMicrosPerToken),
    roundTripP50: ratio(d(a).p50Micros, d(b).p50Micros),
    roundTripP99: ratio(d(a).p99Micros, d(b).p99Micros),
    roundTripCpu: ratio(d(a).serverCpuMicros, d(b).serverCpuMicros),
    fanOutThroughput: ratio(f(a).deliveriesPerSecond, f(b).deliveriesPerSecond),
    fanOutCpuPerDelivery: ratio(f(a).serverCpuMicrosPerDelivery, f(b).serverCpuMicrosPerDelivery),
    idleRssPerConnection: ratio(i(a).rssBytesPerConnection, i(b).rssBytesPerConnection),
  });
  const pairs = [
    { label: `gateway ÷ ${raw}`, key: 'gatewayVsRaw', a: single, b: raw },
    { label: `×2 via Redis ÷ ${raw}`, key: 'crossVsRaw', a: cross, b: raw },
    { label: `×2 via Redis ÷ gateway`, key: 'crossVsGateway', a: cross, b: single },
    { label: `${sio} ÷ ${raw}`, key: 'socketIoVsRaw', a: sio, b: raw },
    { label: `gateway ÷ ${sio}`, key: 'gatewayVsSocketIo', a: single, b: sio },
  ];
  const ratios = Object.fromEntries(pairs.map((p) => [p.key, compare(p.a, p.b)])) as Record<string, ReturnType<typeof compare>>;
  const x = (v: number | null) => (v === null ? 'n/a' : `${v}×`);
  console.log(`Spaceport benchmarks — node ${process.version}, ${cpus().length} cores, ${sizes.rounds} round(s), medians\n`);
  console.log(
    table(`Token relay: ${sizes.streams} streams × ${sizes.tokens} tokens`, ['target', 'tokens/s', 'server µs/token'], [
      ...targets.map((t) => [t.name, Math.round(r(t.name).tokensPerSecond), round(r(t.name).serverCpuMicrosPerToken)]),
      ...pairs.map((p) => [p.label, x(ratios[p.key]!.relayThroughput), x(ratios[p.key]!.relayCpuPerToken)]),
    ]),
  );
  console.log();
  console.log(
    table(`Dispatch round trip: ${sizes.jobs} jobs, one at a time`, ['target', 'p50 µs', 'p99 µs', 'server µs/job'], [
      ...targets.map((t) => [t.name, Math.round(d(t.name).p50Micros), Math.round(d(t.name).p99Micros), Math.round(d(t.name).serverCpuMicros)]),
      ...pairs.map((p) => [p.label, x(ratios[p.key]!.roundTripP50), x(ratios[p.key]!.roundTripP99), x(ratios[p.key]!.roundTripCpu)]),
    ]),
  );
  console.log();
  console.log(
    table(`Fan-out: one job's ${sizes.fanTokens} tokens to ${sizes.subscribers} subscribers`, ['target', 'deliveries/s', 'server µs/delivery'], [
      ...targets.map((t) => [t.name, Math.round(f(t.name).deliveriesPerSecond), round(f(t.name).serverCpuMicrosPerDelivery)]),
      ...pairs.map((p) => [p.label, x(ratios[p.key]!.fanOutThroughput), x(ratios[p.key]!.fanOutCpuPerDelivery)]),
    ]),
  );
  console.log();
  console.log(
    table(`Idle authenticated connections: ${sizes.idle}`, ['target', 'server RSS bytes/connection'], [
      ...targets.map((t) => [t.name, Math.round(i(t.name).rssBytesPerConnection)]),
      ...pairs.map((p) => [p.label, x(ratios[p.key]!.idleRssPerConnection)]),
    ]),
  );
  if (args.json) {
    const results = Object.fromEntries(targets.map((t) => [t.name, { tokenRelay: r(t.name), dispatchRoundTrip: d(t.name), fanOut: f(t.name), idle: i(t.name) }]));
    writeFileSync(args.json, JSON.stringify({ node: process.version, cores: cpus().length, sizes, results, ratios }, null, 2));
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  for (const t of targets) await t.stop();
  // Client libraries (socket.io-client's reconnect timers) may hold the loop open; the run is over.
  process.exit(process.exitCode ?? 0);
}
