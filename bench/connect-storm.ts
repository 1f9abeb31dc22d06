import { settle, withServerCpu, type Benchmark } from './benchmark.ts';
import type { Closable } from './targets/target.ts';

export interface ConnectStormResult {
  handshakesPerSecond: number;
  /** Server CPU per connection set up (upgrade, auth, greeting), in microseconds. */
  serverCpuMicrosPerHandshake: number;
}

/** How many connections are mid-handshake at once: a reconnect storm after a restart. */
const CONCURRENCY = 100;

/**
 * Connection setup including auth: `handshakes` authenticated connections opened with
 * `CONCURRENCY` in flight at a time, timed until every one is usable; then all are closed.
 */
export const connectStormBenchmark: Benchmark<ConnectStormResult> = {
  key: 'connectStorm',
  title: (s) => `Connection setup with auth: ${s.handshakes} connections, ${CONCURRENCY} at a time`,
  columns: [
    ['handshakesPerSecond', 'handshakes/s'],
    ['serverCpuMicrosPerHandshake', 'server µs/handshake'],
  ],
  async run(target, { handshakes }) {
    const open: Closable[] = [];
    let next = 0;
    let seconds = 0;
    const { cpuMicros } = await withServerCpu(target, async () => {
      const started = performance.now();
      const lane = async () => {
        while (next < handshakes) {
          next++;
          open.push(await target.connect());
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, lane));
      seconds = (performance.now() - started) / 1000;
    });
    open.forEach((c) => c.close());
    await settle();
    return { handshakesPerSecond: handshakes / seconds, serverCpuMicrosPerHandshake: cpuMicros / handshakes };
  },
};
