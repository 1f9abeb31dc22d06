import { settle, withServerCpu, type Benchmark, type Sizes } from './benchmark.ts';
import type { ProbeReport } from './server-probe.ts';
import type { BenchClient, Target } from './targets/target.ts';

export interface BinaryMediaResult {
  mibPerSecond: number;
  serverCpuMicrosPerMib: number;
}

export interface MediaMemoryResult {
  /** The server's peak live memory (JS heap + Buffers, after GC) above its idle level ÷ (payloads in flight × payload size). */
  memoryPerInFlightPayload: number;
}

/** How often the server's memory is sampled (with a full GC each time). */
const SAMPLE_MS = 25;

/** Each client runs `jobs` jobs one after the other; every job streams `bytes` in all. */
async function stream(target: Target, clients: BenchClient[], jobs: number, bytes: number): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < jobs; i++) {
        const got = await new Promise<number | undefined>((resolve) => client.submit('media', { result: resolve }));
        if (got !== bytes) throw new Error(`${target.name}: a job's payloads came to ${got} bytes, not ${bytes}`);
      }
    }),
  );
}

/** A worker streaming `mediaFrames` payloads per job, and `mediaStreams` clients. */
async function mediaPeers(target: Target, { mediaStreams, mediaFrames, mediaBytes }: Sizes) {
  const payloads = Array.from({ length: mediaFrames }, () => Buffer.alloc(mediaBytes, 7));
  const worker = await target.worker(mediaStreams, (_job, _prompt, reply) => reply.media(payloads));
  const clients = await Promise.all(Array.from({ length: mediaStreams }, () => target.client()));
  return {
    clients,
    jobBytes: mediaFrames * mediaBytes,
    close() {
      clients.forEach((c) => c.close());
      worker.close();
    },
  };
}

const mediaTitle = (s: Sizes) => `${s.mediaStreams} streams × ${s.mediaJobs} jobs × ${s.mediaFrames} payloads of ${s.mediaBytes / 1024} KiB, worker → client`;

/**
 * Binary media, worker → client: `mediaStreams` clients each run `mediaJobs` jobs one after the
 * other, every job streaming `mediaFrames` binary payloads of `mediaBytes` (a short clip) and then
 * ending; at most `mediaStreams × mediaFrames` payloads are in flight. Each server takes its own
 * binary path: the raw relay forwards the worker's frames, Socket.IO sends each as a binary
 * attachment, the gateway relays each as the file of a `partial` event (live media, held in memory
 * for replays) pushed to the client right after the event. The gateway's other target hands the
 * same payloads over as the files of the job's result, stored and kept like every result.
 */
export const binaryMediaBenchmark: Benchmark<BinaryMediaResult> = {
  key: 'binaryMedia',
  steady: true,
  title: (s) => `Binary media: ${mediaTitle(s)}`,
  columns: [
    ['mibPerSecond', 'MiB/s'],
    ['serverCpuMicrosPerMib', 'server µs/MiB'],
  ],
  async run(target, sizes) {
    const peers = await mediaPeers(target, sizes);
    let seconds = 0;
    const { cpuMicros } = await withServerCpu(target, async () => {
      const started = performance.now();
      await stream(target, peers.clients, sizes.mediaJobs, peers.jobBytes);
      seconds = (performance.now() - started) / 1000;
    });
    peers.close();
    const mib = (sizes.mediaStreams * sizes.mediaJobs * peers.jobBytes) / (1024 * 1024);
    return { mibPerSecond: mib / seconds, serverCpuMicrosPerMib: cpuMicros / mib };
  },
  // A whole unmeasured pass: a server's first few hundred megabytes were measured 30-40% slower
  // (JIT, and V8 growing its heap limits to the pace), for the gateway and the relays alike.
  warmUp: (t, s) => binaryMediaBenchmark.run(t, s),
};

/**
 * The same streams, shorter, while the server's live memory is sampled with a full GC each time
 * (without the GC, garbage awaiting collection would be counted as held). A benchmark of its own,
 * run after every round of binaryMedia: forced full GCs at this pace leave V8's heap limits low,
 * and a throughput pass after them measured the gateway at half its speed (docs/benchmarks.md).
 */
export const mediaMemoryBenchmark: Benchmark<MediaMemoryResult> = {
  key: 'mediaMemory',
  title: (s) => `Binary media memory: ${mediaTitle(s)}`,
  columns: [['memoryPerInFlightPayload', 'peak live memory ÷ in-flight bytes']],
  async run(target, sizes) {
    const peers = await mediaPeers(target, sizes);
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
    await stream(target, peers.clients, Math.max(2, Math.ceil(sizes.mediaJobs / 4)), peers.jobBytes);
    sampling = false;
    await sampler;
    peers.close();
    return { memoryPerInFlightPayload: (peak - idle) / (sizes.mediaStreams * peers.jobBytes) };
  },
};
