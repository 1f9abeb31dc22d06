import { settle, withServerCpu, type Benchmark } from './benchmark.ts';
import type { ProbeReport } from './server-probe.ts';

export interface BinaryMediaResult {
  mibPerSecond: number;
  serverCpuMicrosPerMib: number;
  /** The server's peak extra memory (JS heap + Buffers) ÷ (payloads in flight × payload size). */
  memoryPerInFlightPayload: number;
}

/** How often the server's memory is sampled while payloads are in flight. */
const SAMPLE_MS = 20;

/**
 * Binary media, worker → client: `mediaStreams` clients each run `mediaJobs` jobs one after the
 * other, every job answered with one `mediaBytes` binary payload (at most `mediaStreams` in
 * flight). Each server takes its own binary path: the raw relay forwards the worker's frame, the
 * gateway stores the result file and the client fetches it as a binary frame (its protocol),
 * Socket.IO sends it as a binary attachment.
 */
export const binaryMediaBenchmark: Benchmark<BinaryMediaResult> = {
  key: 'binaryMedia',
  title: (s) => `Binary media: ${s.mediaStreams} streams × ${s.mediaJobs} payloads of ${s.mediaBytes / 1024} KiB, worker → client`,
  columns: [
    ['mibPerSecond', 'MiB/s'],
    ['serverCpuMicrosPerMib', 'server µs/MiB'],
    ['memoryPerInFlightPayload', 'peak extra memory ÷ in-flight bytes'],
  ],
  async run(target, { mediaStreams, mediaJobs, mediaBytes }) {
    const payload = Buffer.alloc(mediaBytes, 7);
    const worker = await target.worker(mediaStreams, (_job, _prompt, reply) => reply.media(payload));
    const clients = await Promise.all(Array.from({ length: mediaStreams }, () => target.client()));
    await settle();
    // Heap + external rather than RSS: RSS keeps whatever earlier benchmarks grew it to.
    const used = (p: ProbeReport) => p.heapUsedBytes + p.externalBytes;
    const baseline = used(await target.probe(true));
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, used(await target.probe()));
        await new Promise((r) => setTimeout(r, SAMPLE_MS));
      }
    })();
    let seconds = 0;
    const { cpuMicros } = await withServerCpu(target, async () => {
      const started = performance.now();
      await Promise.all(
        clients.map(async (client) => {
          for (let i = 0; i < mediaJobs; i++) {
            const bytes = await new Promise<number | undefined>((resolve) => client.submit('media', { result: resolve }));
            if (bytes !== mediaBytes) throw new Error(`${target.name}: a payload of ${bytes} bytes arrived, not ${mediaBytes}`);
          }
        }),
      );
      seconds = (performance.now() - started) / 1000;
    });
    sampling = false;
    await sampler;
    clients.forEach((c) => c.close());
    worker.close();
    const mib = (mediaStreams * mediaJobs * mediaBytes) / (1024 * 1024);
    return {
      mibPerSecond: mib / seconds,
      serverCpuMicrosPerMib: cpuMicros / mib,
      memoryPerInFlightPayload: (peak - baseline) / (mediaStreams * mediaBytes),
    };
  },
};
