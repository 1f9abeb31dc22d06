/**
 * Runs the benchmarks against the baselines and the gateway in the same run, alternating targets
 * round by round, and prints medians and ratios (absolute numbers swing with the machine; ratios
 * taken in the same minutes do not).
 * Usage: npm run bench [-- --quick] [-- --only tokenRelay,binaryMedia] [-- --json FILE]
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { FULL, QUICK, roundsOf, runOn, settle, warmUp, type Benchmark } from './benchmark.ts';
import { ALL, benchmarksNamed } from './benchmarks.ts';
import { printReport, ratiosOf, type Results } from './report.ts';
import { medianOf } from './stats.ts';
import { crossInstanceTarget, gatewayTargets, storedMediaTarget } from './targets/gateway.ts';
import { openAiDirectTarget, openAiViaGatewayTarget, openAiViaRelayTarget } from './targets/openai.ts';
import { rawWsTarget, rawWsViaRedisTarget } from './targets/raw-ws.ts';
import { bullMqTarget } from './targets/bullmq.ts';
import { socketIoTarget } from './targets/socket-io.ts';
import type { Target } from './targets/target.ts';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, json: { type: 'string' } } });
const sizes = args.quick ? QUICK : FULL;
const benchmarks = args.only ? benchmarksNamed(args.only) : ALL;

/** Where the run is, on stderr (stdout is the report). */
const startedAt = performance.now();
const progress = (line: string) => process.stderr.write(`[${Math.round((performance.now() - startedAt) / 1000)} s] ${line}\n`);

/** A benchmark that hangs (a server that dropped a connection) fails the run instead of stalling it. */
function bounded<T>(what: string, work: Promise<T>, ms = 180_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms / 1000} s`)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const takesPart = (t: Target, b: Benchmark) => (t.only ? t.only.includes(b.key) : (b.takes?.(t) ?? true));

async function measure(targets: Target[]): Promise<Results> {
  const runs = new Map<string, Record<string, number>[]>();
  // Rounds alternate between targets so a slow spell on the machine hits all of them alike, and
  // each round starts with a different target so none is always first (or always after another).
  // A benchmark's rounds all run before the next benchmark's: those that force full GCs (memory)
  // leave V8's heap limits low for a while, which must not land on another's rounds.
  for (const b of benchmarks) {
    for (const t of targets) {
      if (!takesPart(t, b) || !b.warmUp) continue;
      progress(`warm-up: ${b.key} on ${t.name}`);
      await bounded(`warm-up ${b.key} on ${t.name}`, warmUp(b, t, sizes));
    }
    const rounds = roundsOf(b, sizes);
    for (let r = 0; r < rounds; r++) {
      const taking = targets.filter((t) => takesPart(t, b));
      const order = taking.map((_, i) => taking[(i + r) % taking.length]!);
      for (const t of order) {
        progress(`round ${r + 1}/${rounds}: ${b.key} on ${t.name}`);
        // Let the previous run's leftovers (a WAL checkpoint, GC) finish, so they are not billed here.
        if (!args.quick) await settle(1000);
        const key = `${t.name}\u0000${b.key}`;
        runs.set(key, [...(runs.get(key) ?? []), (await bounded(`${b.key} on ${t.name}`, runOn(b, t, sizes), b.timeoutMs)) as Record<string, number>]);
      }
    }
  }
  const results: Results = {};
  for (const [key, values] of runs) {
    const [target, bench] = key.split('\u0000') as [string, string];
    (results[target] ??= {})[bench] = medianOf(values);
  }
  return results;
}

const dialectNeeded = benchmarks.some((b) => b.key === 'tokenRelay');
const targets: Target[] = [];
try {
  const { gateway, dialect } = await gatewayTargets();
  targets.push(await rawWsTarget(), gateway, await crossInstanceTarget(), await socketIoTarget());
  if (benchmarks.some((b) => ['dispatchRoundTrip', 'tokenRelay', 'binaryMedia', 'queueThroughput'].includes(b.key))) targets.push(await rawWsViaRedisTarget());
  if (benchmarks.some((b) => ['queueThroughput', 'manyWorkers'].includes(b.key))) targets.push(await rawWsViaRedisTarget(true));
  if (dialectNeeded) targets.push(dialect);
  if (benchmarks.some((b) => b.key === 'binaryMedia' || b.key === 'mediaMemory')) targets.push(await storedMediaTarget());
  if (benchmarks.some((b) => b.key === 'queueThroughput')) targets.push(await bullMqTarget());
  if (benchmarks.some((b) => b.key === 'openAiFirstToken')) targets.push(await openAiDirectTarget(), await openAiViaRelayTarget(), await openAiViaGatewayTarget());
  const results = await measure(targets);
  const ratios = ratiosOf(results);
  console.log(
    `Spaceport benchmarks — node ${process.version}, ${cpus().length} cores, ${sizes.rounds} round(s) (${sizes.steadyRounds} for ${benchmarks
      .filter((b) => b.steady)
      .map((b) => b.key)
      .join(', ')}), medians\n`,
  );
  printReport(benchmarks, sizes, targets, results, ratios);
  if (args.json) writeFileSync(args.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, sizes, results, ratios }, null, 2));
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  for (const t of targets) await t.stop();
  // Client libraries may hold the loop open; the run is over.
  process.exit(process.exitCode ?? 0);
}
