/**
 * A/B: one benchmark, in alternating rounds, between gateway processes that differ only in their
 * environment (a setting such as SPACEPORT_CHECKPOINT_MS), with the raw ws relay beside them if
 * asked: medians per variant and each one's ratio to the first. This machine's speed swings by
 * tens of percent from minute to minute, so a setting is judged by variants measured in the same
 * minutes, never by two runs taken apart. A change to the code is judged the same way, with the
 * commit before it checked out elsewhere and named by BENCH_CHECKOUT in one variant's environment.
 *
 * Usage: npm run bench:ab -- --bench dispatchRoundTrip [--rounds 6] [--quick] [--redis] raw '{}' '{"SPACEPORT_CHECKPOINT_MS":"0"}'
 *   raw      the raw ws relay
 *   {…}      a gateway process with these environment variables ({"BENCH_CHECKOUT":"<dir>"}: from that checkout)
 *   direct   for openAiFirstToken: the OpenAI-compatible server asked directly (else {…} is the gateway + worker --openai)
 *   --redis  each {…} is two gateways sharing a Redis of their own (workers on one, clients on the other)
 */
import { parseArgs } from 'node:util';
import { FULL, QUICK, runOn, settle, warmUp } from './benchmark.ts';
import { benchmarksNamed } from './benchmarks.ts';
import { shown, table } from './report.ts';
import { medianOf, round } from './stats.ts';
import { crossInstanceTarget, gatewayTargets } from './targets/gateway.ts';
import { openAiDirectTarget, openAiViaGatewayTarget } from './targets/openai.ts';
import { rawWsTarget } from './targets/raw-ws.ts';
import type { Target } from './targets/target.ts';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bench: { type: 'string', default: 'dispatchRoundTrip' },
    rounds: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    redis: { type: 'boolean', default: false },
  },
});
const [benchmark] = benchmarksNamed(args.bench);
const sizes = args.quick ? QUICK : FULL;
if (positionals.length < 2) throw new Error('give two variants or more: raw, or a JSON object of environment variables for a gateway');

/** A variant's target: the raw relay, the OpenAI server direct, or a gateway with this environment. */
async function variant(spec: string): Promise<Target> {
  if (spec === 'raw') return rawWsTarget();
  if (spec === 'direct') return openAiDirectTarget();
  const env = JSON.parse(spec) as Record<string, string>;
  if (benchmark!.key === 'openAiFirstToken') return openAiViaGatewayTarget(env);
  return args.redis ? crossInstanceTarget(env) : (await gatewayTargets(env)).gateway;
}

const variants: Array<{ label: string; target: Target }> = [];
try {
  for (const spec of positionals) {
    variants.push({ label: spec, target: await variant(spec) });
  }
  for (const v of variants) await warmUp(benchmark!, v.target, sizes);
  const runs = new Map<string, Array<Record<string, number>>>();
  const rounds = Number(args.rounds);
  for (let r = 0; r < rounds; r++) {
    // Each round starts with a different variant, so none is always first (or always after another).
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + r) % variants.length]!;
      process.stderr.write(`round ${r + 1}/${rounds}: ${v.label}\n`);
      if (!args.quick) await settle(500);
      runs.set(v.label, [...(runs.get(v.label) ?? []), (await runOn(benchmark!, v.target, sizes)) as Record<string, number>]);
    }
  }
  const medians = variants.map((v) => ({ label: v.label, m: medianOf(runs.get(v.label)!) }));
  const base = medians[0]!;
  const rows: (string | number)[][] = medians.map(({ label, m }) => [label, ...benchmark!.columns.map(([k]) => shown(m[k]!))]);
  for (const { label, m } of medians.slice(1)) {
    rows.push([`${label} ÷ ${base.label}`, ...benchmark!.columns.map(([k]) => (base.m[k] ? `${round(m[k]! / base.m[k]!)}×` : 'n/a'))]);
  }
  console.log(table(`${benchmark!.title(sizes)} — ${rounds} alternating round(s), medians`, ['variant', ...benchmark!.columns.map(([, label]) => label)], rows));
} finally {
  for (const v of variants) await v.target.stop();
  // Client libraries may hold the loop open; the run is over.
  process.exit(process.exitCode ?? 0);
}
