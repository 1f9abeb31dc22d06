import { settle, withServerCpu, type Benchmark } from './benchmark.ts';
import type { ProbeReport } from './server-probe.ts';
import type { BenchClient, Target } from './targets/target.ts';

export interface BinaryMediaResult {
  mibPerSecond: number;
  serverCpuMicrosPerMib: number;
  /** The server's peak live memory (JS heap + Buffers, after GC) above its idle level ÷ (payloads in flight × payload size). */
  memoryPerInFlightPayload: number;
}

/** How often the server's memory is sampled (with a full GC each time) in the memory pass. */
const SAMPLE_MS = 25;

/** Each client runs `jobs` jobs one after the other; every job ends with one payload of `bytes`. */
async function stream(target: Target, clients: BenchClient[], jobs: number, bytes: number): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < jobs; i++) {
        const got = await new Promise<number | undefined>((resolve) => client.submit('media', { result: resolve }));
        if (got !== bytes) throw new Error(`${target.name}: a payload of ${got} bytes arrived, not ${bytes}`);
      }
    }),
  );
}

/**
 * Binary media, worker → client: `mediaStreams` clients each run `mediaJobs` jobs one after the
 * other, every job answered with one `mediaBytes` binary payload (at most `mediaStreams` in
 * flight). Each server takes its own binary path: the raw relay forwards the worker's frame, the
 * gateway stores the result file and the client fetches it as a binary frame (its protocol),
 * Socket.IO sends it as a binary attachment. Throughput and CPU come from one pass; memory from a
 * second, shorter one that samples the server's live memory with a full GC each time (without the
 * GC, garbage awaiting collection would be counted as held; with it, the pace would suffer).
 */
export const binaryMediaBenchmark: Benchmark<BinaryMediaResult> = {
  key: 'binaryMedia',
  title: (s) => `Binary media: ${s.mediaStreams} streams × ${s.mediaJobs} payloads of ${s.mediaBytes / 1024} KiB, worker → client`,
  columns: [
    ['mibPerSecond', 'MiB/s'],
    ['serverCpuMicrosPerMib', 'server µs/MiB'],
    ['memoryPerInFlightPayload', 'peak live memory ÷ in-flight bytes'],
  ],
  async run(target, { mediaStreams, mediaJobs, mediaBytes }) {
    const payload = Buffer.alloc(mediaBytes, 7);
    const worker = await target.worker(mediaStreams, (_job, _prompt, reply) => reply.media(payload));
    const clients = await Promise.all(Array.from({ length: mediaStreams }, () => target.client()));
    let seconds = 0;
    const { cpuMicros } = await withServerCpu(target, async () => {
      const started = performance.now();
      await stream(target, clients, mediaJobs, mediaBytes);
      seconds = (performance.now() - started) / 1000;
    });

    await settle();
    const live = (p: ProbeReport) => p.heapUsedBytes + p.externalBytes;
    const idle = live(await target.probe(true));
    let peak = idle;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, live(await target.probe(true)));
        await new Promise((r) => setTimeout(r, SAMPLE_MS));
      }
    })();
    await stream(target, clients, Math.max(2, Math.ceil(mediaJobs / 4)), mediaBytes);
    sampling = false;
    await sampler;

    clients.forEach((c) => c.close());
    worker.close();
    const mib = (mediaStreams * mediaJobs * mediaBytes) / (1024 * 1024);
    return {
      mibPerSecond: mib / seconds,
      serverCpuMicrosPerMib: cpuMicros / mib,
      memoryPerInFlightPayload: (peak - idle) / (mediaStreams * mediaBytes),
    };
  },
};
