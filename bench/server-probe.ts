/**
 * Loaded into every Node server under test (`--import`): answers the benchmark's questions over
 * the IPC channel with the server's own view of itself — `process.cpuUsage()` (microseconds, not
 * /proc's 10 ms ticks) and memory, with a full GC first when asked (the server runs with
 * `--expose-gc`) so heap figures are what is retained, not what is waiting to be collected.
 */
export interface ProbeReport {
  cpuMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Memory outside the JS heap: Buffers, sockets' native state. */
  externalBytes: number;
}

if (process.send) {
  process.on('message', (msg: { probe?: number; gc?: boolean }) => {
    if (typeof msg?.probe !== 'number') return;
    if (msg.gc) (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const report: ProbeReport = { cpuMicros: cpu.user + cpu.system, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, externalBytes: mem.external };
    process.send!({ probe: msg.probe, report });
  });
  // The channel must not keep a server alive that would otherwise exit.
  process.channel?.unref();
}

// Servers that do not handle SIGTERM themselves (the relays) would die without writing the
// profile that BENCH_NODE_ARGS="--cpu-prof" asks for; exiting normally writes it.
if (process.execArgv.includes('--cpu-prof')) {
  process.once('SIGTERM', () => {
    if (process.listenerCount('SIGTERM') === 0) process.exit(0);
  });
}
