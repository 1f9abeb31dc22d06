import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTs } from '../helpers/processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'spaceport-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TARGETS = ['raw ws relay', 'spaceport gateway', 'gateway ×2 via Redis', 'Socket.IO relay'];
const BENCHMARKS = ['tokenRelay', 'dispatchRoundTrip', 'fanOut', 'binaryMedia', 'mediaMemory', 'idle', 'connectStorm', 'longStream'];

// Only that every benchmark runs end to end against every target and reports its ratios: timings
// are the benchmark's business, not the test suite's (shared machines are noisy).
describe('npm run bench -- --quick', () => {
  it('runs every benchmark on the gateway, two gateways via Redis, raw ws and Socket.IO (and time to first token on the OpenAI API), and reports the ratios', async () => {
    const out = join(dir, 'bench.json');
    const proc = runTs('bench/run-all.ts', ['--quick', '--json', out]);
    expect(await proc.exited()).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    // The deep queue only where jobs queue: the gateway; many workers on both engines; short-job
    // throughput there and on the raw relay, its ceiling.
    const queueing: Record<string, string[]> = {
      'spaceport gateway': ['deepQueue', 'manyWorkers', 'probes', 'queueThroughput'],
      'gateway ×2 via Redis': ['manyWorkers', 'queueThroughput'],
      'raw ws relay': ['queueThroughput'],
    };
    for (const name of TARGETS) expect(Object.keys(report.results[name]).sort()).toEqual([...BENCHMARKS, ...(queueing[name] ?? [])].sort());
    expect(report.results['spaceport gateway'].deepQueue.deepMicros).toBeGreaterThan(0);
    expect(report.results['spaceport gateway'].deepQueue.cancelDeepCpu).toBeGreaterThan(0);
    expect(report.results['spaceport gateway'].deepQueue.submitDeepCpu).toBeGreaterThan(0);
    for (const name of ['spaceport gateway', 'gateway ×2 via Redis']) expect(report.results[name].manyWorkers.thousandWorkers).toBeGreaterThan(0);
    // Short-job throughput beside BullMQ on its own Redis (add → process → completed event).
    expect(Object.keys(report.results.BullMQ)).toEqual(['queueThroughput']);
    for (const name of [...Object.keys(queueing), 'raw ws ×2 via Redis', 'BullMQ']) expect(report.results[name].queueThroughput.jobsPerSecond).toBeGreaterThan(0);
    expect(proc.output()).toMatch(/×2 via Redis ÷ BullMQ\s+[\d.]+×/);
    expect(report.results['spaceport gateway'].probes.healthMs).toBeGreaterThan(0);
    expect(proc.output()).toMatch(/A deep queue: \d+ jobs submitted, cancelled and taken/);
    // The same relay queueing in a Redis list for the workers' slots: the floor of the queue rows.
    const listFloor = report.results['raw ws ×2 via a Redis list'];
    expect(Object.keys(listFloor).sort()).toEqual(['manyWorkers', 'queueThroughput']);
    expect(listFloor.manyWorkers.thousandWorkers).toBeGreaterThan(0);
    expect(listFloor.queueThroughput.jobsPerSecond).toBeGreaterThan(0);
    // The relay split over Redis, the floor of any two instances: on the rows the gateway's ×2 is held to it.
    expect(Object.keys(report.results['raw ws ×2 via Redis']).sort()).toEqual(['binaryMedia', 'dispatchRoundTrip', 'queueThroughput', 'tokenRelay']);
    for (const v of Object.values(report.results['raw ws ×2 via Redis'].dispatchRoundTrip) as number[]) expect(v).toBeGreaterThan(0);
    expect(proc.output()).toMatch(/×2 via Redis ÷ raw ×2 via Redis\s+[\d.]+×/);
    // The /ws dialect is measured on the token relay only, against /v1/ws.
    expect(Object.keys(report.results['gateway /ws dialect'])).toEqual(['tokenRelay']);
    expect(report.results['gateway /ws dialect'].tokenRelay.tokensPerSecond).toBeGreaterThan(0);
    // Media handed over as stored result files, beside live media, on binary media only.
    expect(Object.keys(report.results['gateway, stored result file']).sort()).toEqual(['binaryMedia', 'mediaMemory']);
    expect(report.results['gateway, stored result file'].binaryMedia.mibPerSecond).toBeGreaterThan(0);
    for (const name of TARGETS) {
      const r = report.results[name];
      expect(r.tokenRelay.tokensPerSecond).toBeGreaterThan(0);
      expect(r.dispatchRoundTrip.p50Micros).toBeGreaterThan(0);
      expect(r.fanOut.deliveriesPerSecond).toBeGreaterThan(0);
      expect(r.binaryMedia.mibPerSecond).toBeGreaterThan(0);
      expect(r.connectStorm.handshakesPerSecond).toBeGreaterThan(0);
      for (const bench of Object.values(r) as Array<Record<string, number>>) for (const v of Object.values(bench)) expect(Number.isFinite(v)).toBe(true);
    }
    // Time to first token through the OpenAI API: the server direct, behind the bare relay, and behind the gateway and `worker --openai`.
    for (const name of ['OpenAI server direct', 'OpenAI via bare relay + worker', 'OpenAI via gateway + worker --openai']) {
      expect(Object.keys(report.results[name])).toEqual(['openAiFirstToken']);
      expect(report.results[name].openAiFirstToken.medianMs).toBeGreaterThan(0);
    }
    expect(proc.output()).toMatch(/via gateway − direct\s+-?[\d.]+/);
    expect(proc.output()).toMatch(/via gateway − via bare relay\s+-?[\d.]+/);
    expect(Object.keys(report.ratios).sort()).toEqual([
      'crossVsBullMq',
      'crossVsGateway',
      'crossVsRaw',
      'crossVsRawViaRedis',
      'dialectVsGateway',
      'gatewayVsBullMq',
      'gatewayVsRaw',
      'gatewayVsSocketIo',
      'openAiViaGatewayVsDirect',
      'openAiViaGatewayVsRelay',
      'openAiViaRelayVsDirect',
      'rawViaRedisVsRaw',
      'socketIoVsRaw',
      'storedVsRaw',
    ]);
    expect(report.ratios.gatewayVsRaw.tokenRelay.tokensPerSecond).toBeGreaterThan(0);
    expect(report.ratios.gatewayVsRaw.connectStorm.handshakesPerSecond).toBeGreaterThan(0);
    expect(proc.output()).toMatch(/gateway ÷ raw ws\s+[\d.]+×/);
    expect(proc.output()).toMatch(/\/ws dialect ÷ \/v1\/ws\s+[\d.]+×/);
  }, 240_000);
});

describe('npm run bench:ab -- --quick', () => {
  it('runs one benchmark on the raw relay and two differently configured gateways, alternating, and reports each against the first', async () => {
    const proc = runTs('bench/ab.ts', ['--bench', 'tokenRelay', '--quick', '--rounds', '2', 'raw', '{}', '{"SPACEPORT_CHECKPOINT_MS":"0"}']);
    expect(await proc.exited()).toBe(0);
    expect(proc.output()).toMatch(/^ {2}\{"SPACEPORT_CHECKPOINT_MS":"0"\} ÷ raw\s+[\d.]+×\s+[\d.]+×$/m);
    expect(proc.output()).toMatch(/^ {2}\{\} ÷ raw\s+[\d.]+×\s+[\d.]+×$/m);
    expect(proc.output()).toMatch(/2 alternating round\(s\)/);
  }, 120_000);
});
