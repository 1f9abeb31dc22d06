import { Queue, QueueEvents, Worker } from 'bullmq';
import { startRedisServer } from '../child-server.ts';
import type { Submitted, Target } from './target.ts';

const KEY = 'queueThroughput';
const QUEUE = 'bench';

/**
 * BullMQ on a fresh `redis-server`, in the shape of a target: a client adds jobs to a queue and
 * hears each one's `completed` event (QueueEvents), workers process them (`concurrency` = slots) —
 * add → process → completed event, what a gateway's submit → dispatch → result is. It takes part in
 * the queue-throughput benchmark only. Its producers, workers and event listener run in the
 * benchmark's process, as the gateway's clients and workers do; its server CPU is Redis's alone
 * (there is no server process between them).
 */
export async function bullMqTarget(): Promise<Target> {
  const redis = await startRedisServer();
  const { hostname, port } = new URL(redis.url);
  const connection = { host: hostname, port: Number(port), maxRetriesPerRequest: null };
  const queue = new Queue(QUEUE, { connection });
  const events = new QueueEvents(QUEUE, { connection });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const waiting = new Map<string, Submitted>();
  events.on('completed', ({ jobId }) => {
    waiting.get(jobId)?.result();
    waiting.delete(jobId);
  });
  let made = 0;
  const name = 'BullMQ';
  const refuse = () => Promise.reject(new Error(`${name} takes part in ${KEY} only`));
  return {
    name,
    only: [KEY],
    queues: true,
    probe: async () => ({ cpuMicros: redis.cpuMicros(), rssBytes: redis.rssBytes(), heapUsedBytes: 0, externalBytes: 0 }),
    async client() {
      return {
        submit(prompt, on) {
          // Its id is known before the add resolves: a fast worker's `completed` may come first.
          const jobId = `j${++made}`;
          waiting.set(jobId, on);
          void queue.add('job', { prompt }, { jobId, removeOnComplete: true, removeOnFail: true }).then(() => on.accepted?.(jobId));
        },
        close() {},
      };
    },
    async worker(slots, onJob) {
      const worker = new Worker(
        QUEUE,
        (job) => new Promise((resolve) => onJob(job.id!, (job.data as { prompt: string }).prompt, { token: () => {}, result: (data) => resolve(data), media: () => resolve(null) })),
        { connection, concurrency: slots },
      );
      await worker.waitUntilReady();
      return { close: () => void worker.close() };
    },
    connect: refuse,
    subscriber: refuse,
    fresh: bullMqTarget,
    async stop() {
      await Promise.all([queue.close(), events.close()]);
      await redis.stop();
    },
  };
}
