import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTs } from '../helpers/processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'spaceport-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Only that the benchmark runs end to end and reports every ratio: timings are the benchmark's
// business, not the test suite's (shared machines are noisy).
describe('npm run bench -- --quick', () => {
  it('runs the gateway, two gateways via Redis and the raw ws relay, and reports the ratios', async () => {
    const out = join(dir, 'bench.json');
    const proc = runTs('bench/run-all.ts', ['--quick', '--json', out]);
    await proc.waitFor('Dispatch round trip', 60_000);
    expect(await proc.exited()).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    for (const name of ['raw ws relay', 'spaceport gateway', 'gateway ×2 via Redis', 'Socket.IO relay']) {
      expect(report.results[name].tokenRelay.tokensPerSecond).toBeGreaterThan(0);
      expect(report.results[name].dispatchRoundTrip.p50Micros).toBeGreaterThan(0);
      expect(report.results[name].fanOut.deliveriesPerSecond).toBeGreaterThan(0);
    }
    expect(Object.keys(report.ratios)).toEqual(['gatewayVsRaw', 'crossVsRaw', 'crossVsGateway', 'socketIoVsRaw', 'gatewayVsSocketIo']);
    for (const pair of Object.values(report.ratios) as Array<Record<string, number | null>>) {
      // Latency and throughput ratios always exist; CPU ratios may be n/a (null) on a run this short.
      for (const key of ['relayThroughput', 'roundTripP50', 'roundTripP99', 'fanOutThroughput']) expect(pair[key]).toBeGreaterThan(0);
      for (const value of Object.values(pair)) expect(value === null || Number.isFinite(value)).toBe(true);
    }
    expect(proc.output()).toMatch(/gateway ÷ raw ws relay\s+[\d.]+×/);
  }, 90_000);
});
