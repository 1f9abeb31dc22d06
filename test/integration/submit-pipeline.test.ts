import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { END, SUBMIT } from '../../src/engine/redis/scripts.ts';
import { cuttableProxy, type CuttableProxy } from '../helpers/cuttable-proxy.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

let redis: TestRedis;
let proxy: CuttableProxy;
let gw: TestGateway;
let space: { id: string };
const prefix = `pipe${Date.now()}:`;
const sha = (script: string) => createHash('sha1').update(script).digest('hex');

beforeAll(async () => {
  redis = await startRedis();
  // The gateway reaches Redis through a proxy that can hold Redis's answers back.
  proxy = await cuttableProxy(Number(new URL(redis.url).port));
  gw = await testGateway({ redis: { url: proxy.url.replace('http:', 'redis:'), prefix } });
  space = await gw.createSpace({ name: 'burst', inputs: ['prompt'], max_queue: 100 });
});
afterAll(async () => {
  proxy.releaseReplies();
  await gw.stop();
  proxy.close();
  await redis.stop();
});

/** A space's queue as Redis holds it, read directly: its job ids in order, and each one's inputs. */
function queueOf(spaceId: string) {
  const direct = new Redis(redis.url);
  const ids = () => direct.zrange(`${prefix}q:${spaceId}`, '0', '-1');
  return {
    ids,
    async inputs(): Promise<Array<{ prompt?: string; options?: Record<string, unknown> }>> {
      const bodies = await Promise.all((await ids()).map((id) => direct.hget(`${prefix}job:${id}`, 'body')));
      return bodies.map((body) => JSON.parse(body!).inputs);
    },
    close: () => direct.disconnect(),
  };
}

/** `count` reaches `n` and, a moment later, has not gone past it (what is held back stays held). */
async function reachesAndStays(label: string, count: () => number, n: number): Promise<void> {
  await until(label, () => count() === n || undefined, 5000);
  await new Promise((r) => setTimeout(r, 100));
  expect(count()).toBe(n);
}

describe("a client's submits in a row, through Redis", () => {
  it('reach Redis one after another without waiting for each answer, at most eight at once, queue in the order they came, and what follows them waits for them', async () => {
    const client = await gw.client(ADMIN_TOKEN);
    // Submits first, answered: the space and its workers are read and kept (for a second), so
    // what follows needs only SUBMITs. Two, a moment apart: the space's creation, heard on the bus,
    // may clear what the first one kept.
    client.send({ type: 'submit', id: 'first', space: 'burst', prompt: 'first' });
    const first = await client.wait('first accepted', (m) => m.type === 'accepted' && m.id === 'first');
    await new Promise((r) => setTimeout(r, 300));
    client.send({ type: 'submit', id: 'second', space: 'burst', prompt: 'second' });
    const second = await client.wait('second accepted', (m) => m.type === 'accepted' && m.id === 'second');
    const submits = proxy.watch(sha(SUBMIT));
    const ends = proxy.watch(sha(END));
    proxy.holdReplies();
    for (let n = 1; n <= 10; n++) client.send({ type: 'submit', id: `s${n}`, space: 'burst', prompt: String(n) });
    client.send({ type: 'cancel', id: 'c', job: first.job });
    // Eight SUBMITs are in Redis while none has been answered (one at a time, only the first would
    // be); not more: a connection has at most eight in flight.
    await reachesAndStays('eight SUBMITs sent', submits, 8);
    expect(client.of('accepted')).toHaveLength(2);
    // The cancel after them waits for them to be done: its END is not sent yet.
    expect(ends()).toBe(0);
    proxy.releaseReplies();
    await until('ten accepted', () => client.of('accepted').length === 12 || undefined, 5000);
    const accepted = client.of('accepted').slice(2);
    expect(accepted.map((m) => m.id)).toEqual(Array.from({ length: 10 }, (_, i) => `s${i + 1}`));
    expect(accepted.map((m) => m.position)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    await client.wait('cancel acknowledged', (m) => m.type === 'ack' && m.id === 'c');
    expect(ends()).toBe(1);
    // The queue holds them in the order they were sent (the first one cancelled).
    const queue = queueOf(space.id);
    expect(await queue.ids()).toEqual([second.job, ...accepted.map((m) => m.job)]);
    queue.close();
    client.close();
  }, 30_000);

  it('on the token-streaming dialect (/ws) too: a burst of queries reaches Redis eight at a time, queued in the order they came', async () => {
    const text = await gw.createSpace({ name: 'text-generation', inputs: ['prompt'], max_queue: 100 });
    const queue = queueOf(text.id);
    const ws = await WsPeer.open(`${gw.ws}/ws`);
    // Two queries first, answered (they queue: no worker), so the space is read and kept (as above),
    // the second right before the burst; a ping answered says its handling is over.
    ws.send({ type: 'query', session_id: 'w1', query: 'w1' });
    await until('w1 queued', async () => (await queue.ids()).length === 1 || undefined, 5000);
    await new Promise((r) => setTimeout(r, 300));
    ws.send({ type: 'query', session_id: 'w2', query: 'w2' });
    ws.send({ type: 'ping' });
    await ws.wait('pong', (m) => m.type === 'pong');
    const submits = proxy.watch(sha(SUBMIT));
    proxy.holdReplies();
    for (let n = 1; n <= 10; n++) ws.send({ type: 'query', session_id: `q${n}`, query: String(n) });
    // One at a time, only the first would reach Redis before its answer.
    await reachesAndStays('eight SUBMITs sent', submits, 8);
    proxy.releaseReplies();
    await until('twelve queued', async () => (await queue.ids()).length === 12 || undefined, 5000);
    expect((await queue.inputs()).map((i) => i.prompt)).toEqual(['w1', 'w2', ...Array.from({ length: 10 }, (_, i) => String(i + 1))]);
    queue.close();
    ws.close();
  }, 30_000);

  it('on the frames dialect (/ws/{client_id}) too: the next frame’s image is being stored before the first frame’s submit is answered, and frames queue in the order they came', async () => {
    const plugin = await gw.createSpace({ name: 'frame-burst', inputs: ['image'], max_queue: 100 });
    const queue = queueOf(plugin.id);
    const ws = await WsPeer.open(`${gw.ws}/ws/burst-client`);
    const frame = (id: string) => ({ type: 'send_frame', frame_id: id, plugin: 'frame-burst', image_data: TINY_PNG });
    // One frame first, queued (no worker), so the plugin is read and kept (as above) right before the burst.
    ws.send(frame('warm'));
    await ws.wait('warm pending', (m) => m.type === 'job_update' && m.frame_id === 'warm' && m.status === 'pending');
    const stores = proxy.watch('multi'); // the MULTI storing an image with its record
    proxy.holdRepliesAfter(sha(SUBMIT));
    for (let n = 1; n <= 3; n++) ws.send(frame(`f${n}`));
    // One at a time, f2's image would be stored only once f1's submit was answered.
    await reachesAndStays('two images stored', stores, 2); // f2's store waits for its answer, held with the rest
    proxy.releaseReplies();
    await until('four queued', async () => (await queue.ids()).length === 4 || undefined, 5000);
    expect((await queue.inputs()).map((i) => i.options?.frame_id)).toEqual(['warm', 'f1', 'f2', 'f3']);
    queue.close();
    ws.close();
  }, 30_000);
});

/** A 1×1 PNG, base64: an image the frames dialect accepts (64 bytes or more). */
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
