import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../src/protocol/binary-frame.ts';
import { TELL } from '../../src/engine/redis/event-scripts.ts';
import { until } from '../helpers/latch.ts';
import { startNginx } from '../helpers/nginx.ts';
import { runTs, serveProcess, tokenWorker, type Proc } from '../helpers/processes.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { sdkClient } from '../helpers/sdk.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

const TOKEN = 'multi-admin-token';
const prefix = `mi${Math.random().toString(36).slice(2)}:`;
let redis: TestRedis;
const dirs: string[] = [];
const procs: Proc[] = [];
let instances: Array<{ proc: Proc; url: string; port: number }> = [];

async function instance(): Promise<{ proc: Proc; url: string; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'spaceport-mi-'));
  dirs.push(dir);
  const served = await serveProcess(dir, TOKEN, { SPACEPORT_REDIS_URL: redis.url, SPACEPORT_REDIS_PREFIX: prefix });
  procs.push(served.proc);
  return { ...served, port: Number(new URL(served.url).port) };
}
const ws = (url: string) => url.replace('http', 'ws');
const api = (url: string, method: string, path: string, body?: unknown) =>
  fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
function worker(url: string, space: string, opts: Parameters<typeof tokenWorker>[3] = {}): Proc {
  const w = tokenWorker(ws(url), space, TOKEN, opts);
  procs.push(w);
  return w;
}
async function client(url: string): Promise<WsPeer> {
  const peer = await WsPeer.open(`${ws(url)}/v1/ws`, { authorization: `Bearer ${TOKEN}` });
  await peer.wait('hello', (m) => m.type === 'hello');
  return peer;
}

/**
 * The TELL scripts in a slow log's entries, and the position updates they carried: ARGV holds P,
 * the space, its channel, then four per update (event-scripts.ts TELL). The log keeps a call's
 * first 31 arguments and counts the rest in a last one, "... (N more arguments)".
 */
function tellsIn(log: Array<[number, number, number, string[]]>): { calls: number; tells: number } {
  const sha = createHash('sha1').update(TELL).digest('hex');
  let calls = 0;
  let tells = 0;
  for (const [, , , args] of log) {
    if (args[0]?.toLowerCase() !== 'evalsha' || args[1] !== sha) continue;
    const more = /^\.\.\. \((\d+) more arguments\)$/.exec(args.at(-1) ?? '');
    const count = more ? args.length - 1 + Number(more[1]) : args.length;
    calls += 1;
    tells += (count - 6) / 4; // evalsha, sha, numkeys, P, space, channel
  }
  return { calls, tells };
}

beforeAll(async () => {
  redis = await startRedis();
  instances = await Promise.all([instance(), instance(), instance()]);
}, 60_000);
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  await redis?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('three gateway instances sharing one Redis', () => {
  it('serves a job submitted on one instance with a worker on another, tokens in order', async () => {
    const [a, b, c] = instances as [(typeof instances)[0], (typeof instances)[0], (typeof instances)[0]];
    expect((await api(a.url, 'POST', '/v1/admin/spaces', { name: 'shared', inputs: ['prompt'] })).status).toBe(201);
    // Every instance sees the space and, once it registers, the worker on b.
    const w = worker(b.url, 'shared', { tokens: 20, delay: 5, name: 'on-b' });
    await w.waitFor('registered');
    await until('instance c to see the worker', async () => (await api(c.url, 'GET', '/v1/spaces/shared')).body.connected || undefined);
    const peer = await client(c.url);
    peer.send({ type: 'submit', space: 'shared', prompt: 'go' });
    const result = await peer.wait('result', (m) => m.type === 'result', 20_000);
    expect(result.data.worker).toBe('on-b');
    expect(peer.of('token').map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `on-b:${i} `));
    const seqs = peer.messages.filter((m) => m.seq).map((m) => m.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    peer.close();
    await w.kill('SIGKILL');
  });

  it('keeps an idle worker’s free slots waiting in Redis: a submit on another instance goes straight to one, and none once it drains or leaves', async () => {
    const [a, b, c] = instances as [(typeof instances)[0], (typeof instances)[0], (typeof instances)[0]];
    const made = await api(a.url, 'POST', '/v1/admin/spaces', { name: 'parking', inputs: ['prompt'] });
    expect(made.status).toBe(201);
    const admin = new Redis(redis.url);
    const parked = () => admin.zcard(`${prefix}parked:${made.body.id}`);
    const register = async (url: string) => {
      const w = await WsPeer.open(`${ws(url)}/v1/worker`);
      w.send({ type: 'register', token: TOKEN, spaces: ['parking'], slots: 2 });
      await w.wait('registered', (m) => m.type === 'registered');
      return w;
    };
    const w = await register(b.url);
    await until('both of its slots to park', async () => (await parked()) === 2 || undefined);
    const peer = await client(a.url);
    peer.send({ type: 'submit', id: 'one', space: 'parking', prompt: 'x' });
    const { job } = await w.wait('the job', (m) => m.type === 'job');
    expect(await parked()).toBe(1);
    w.send({ type: 'result', job, data: 'ok' });
    await peer.wait('its result', (m) => m.type === 'result' && m.job === job);
    await until('its slot to park again', async () => (await parked()) === 2 || undefined);
    // Draining: its slots leave the queue, and a job waits for another worker.
    w.send({ type: 'drain' });
    await w.wait('draining', (m) => m.type === 'draining');
    await until('its slots to be withdrawn', async () => (await parked()) === 0 || undefined);
    peer.send({ type: 'submit', id: 'two', space: 'parking', prompt: 'y' });
    const second = await peer.wait('accepted', (m) => m.type === 'accepted' && m.id === 'two');
    await w.settled();
    expect(w.of('job')).toHaveLength(1);
    const other = await register(c.url);
    const taken = await other.wait('the waiting job', (m) => m.type === 'job');
    expect(taken.job).toBe(second.job);
    other.send({ type: 'result', job: taken.job, data: 'ok' });
    await until('its free slots to park', async () => (await parked()) === 2 || undefined);
    // Leaving: its slots go with it.
    other.close();
    await until('its slots to be withdrawn', async () => (await parked()) === 0 || undefined);
    for (const p of [peer, w]) p.close();
    admin.disconnect();
  });

  it('tells a worker stale_lease for each token of a burst once its job was taken from it elsewhere, and passes none on', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    await api(a.url, 'POST', '/v1/admin/spaces', { name: 'taken', inputs: ['prompt'] });
    const w = await WsPeer.open(`${ws(a.url)}/v1/worker`);
    w.send({ type: 'register', token: TOKEN, spaces: ['taken'], slots: 1 });
    await w.wait('registered', (m) => m.type === 'registered');
    const peer = await client(b.url);
    peer.send({ type: 'submit', space: 'taken', prompt: 'go' });
    const { job } = await w.wait('the job', (m) => m.type === 'job');
    w.send({ type: 'started', job });
    w.send({ type: 'token', job, text: 'mine' });
    await peer.wait('the first token', (m) => m.type === 'token' && m.text === 'mine', 20_000);
    // As if another instance had requeued the job and another worker claimed it.
    const store = new Redis(redis.url);
    await store.hset(`${prefix}job:${job}`, 'worker_id', 'worker_elsewhere');
    store.disconnect();
    // One TCP write, so one read and one batch.
    const socket = (w.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
    socket.cork();
    for (let i = 0; i < 5; i++) w.send({ type: 'token', job, text: `late ${i}` });
    socket.uncork();
    await until('five stale_lease errors', () => w.of('error').filter((m) => m.code === 'stale_lease' && m.job === job).length === 5 || undefined, 20_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(w.of('error').filter((m) => m.code === 'stale_lease')).toHaveLength(5);
    expect(peer.of('token').map((m) => m.text)).toEqual(['mine']);
    peer.close();
    w.close();
  });

  it('sends a job’s events to the instances that want them: the submitter’s, one whose client watches the space, one whose client follows the job later — Redis subscribes a space’s channel only while it is watched', async () => {
    const [a, b, c] = instances as [(typeof instances)[0], (typeof instances)[0], (typeof instances)[0]];
    const made = await api(a.url, 'POST', '/v1/admin/spaces', { name: 'watched', inputs: ['prompt'] });
    const channel = `${prefix}ev:${made.body.id}`;
    const subscribers = async () => {
      const r = new Redis(redis.url);
      const [, n] = (await r.pubsub('NUMSUB', channel)) as [string, number];
      r.disconnect();
      return Number(n);
    };
    expect(await subscribers()).toBe(0);
    const w = worker(a.url, 'watched', { tokens: 3, delay: 5, name: 'on-a' });
    await w.waitFor('registered');
    const watcher = await client(b.url);
    watcher.send({ type: 'subscribe', topic: 'space:watched' });
    await watcher.wait('ack', (m) => m.type === 'ack' && m.topic === 'space:watched');
    await until('b to subscribe to the space', async () => (await subscribers()) === 1 || undefined);
    const submitter = await client(c.url);
    submitter.send({ type: 'submit', space: 'watched', prompt: 'go' });
    const { job } = await submitter.wait('accepted', (m) => m.type === 'accepted');
    await submitter.wait('result', (m) => m.type === 'result' && m.job === job, 20_000);
    await watcher.wait('the result, watched', (m) => m.type === 'result' && m.job === job, 20_000);
    const typesOf = (peer: WsPeer) => peer.messages.filter((m) => m.job === job && m.seq).map((m) => `${m.seq} ${m.type}`);
    expect(typesOf(watcher)).toEqual(typesOf(submitter));
    // Followed from a third instance after the fact: the log, and nothing twice.
    const late = await client(a.url);
    late.send({ type: 'subscribe', topic: `job:${job}` });
    await late.wait('the result, replayed', (m) => m.type === 'result' && m.job === job);
    expect(typesOf(late)).toEqual(typesOf(submitter));
    watcher.send({ type: 'unsubscribe', topic: 'space:watched' });
    await watcher.wait('unsubscribed', (m) => m.type === 'ack' && m.of === 'unsubscribe');
    await until('b to leave the space’s channel', async () => (await subscribers()) === 0 || undefined);
    for (const p of [watcher, submitter, late]) p.close();
    await w.kill('SIGKILL');
  });

  it('cancels from one instance a job whose worker is on another', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    await api(a.url, 'POST', '/v1/admin/spaces', { name: 'cancel-across', inputs: ['prompt'] });
    const w = worker(b.url, 'cancel-across', { tokens: 500, delay: 20, name: 'slow' });
    await w.waitFor('registered');
    const submitter = await client(a.url);
    submitter.send({ type: 'submit', space: 'cancel-across', prompt: 'long' });
    const { job } = await submitter.wait('accepted', (m) => m.type === 'accepted');
    await submitter.wait('a token', (m) => m.type === 'token', 20_000);
    const canceller = await client(instances[2]!.url);
    canceller.send({ type: 'cancel', job });
    await submitter.wait('cancelled', (m) => m.type === 'cancelled' && m.job === job);
    // The worker on b was told and acknowledged (its slot is free again: it takes the next job).
    submitter.send({ type: 'submit', space: 'cancel-across', prompt: 'next' });
    const next = await submitter.wait('second accepted', (m) => m.type === 'accepted' && m.job !== job);
    await submitter.wait('next started', (m) => m.type === 'started' && m.job === next.job, 20_000);
    submitter.close();
    canceller.close();
    await w.kill('SIGKILL');
  });

  it('pushes live media from a worker on one instance to a client on another, and replays it on a third', async () => {
    const [a, b, c] = instances as [(typeof instances)[0], (typeof instances)[0], (typeof instances)[0]];
    await api(a.url, 'POST', '/v1/admin/spaces', { name: 'media-across', inputs: ['prompt'] });
    const w = await WsPeer.open(`${ws(a.url)}/v1/worker`);
    w.send({ type: 'register', token: TOKEN, spaces: ['media-across'], slots: 1 });
    await w.wait('registered', (m) => m.type === 'registered');
    await until('instance b to see the worker', async () => (await api(b.url, 'GET', '/v1/spaces/media-across')).body.connected || undefined);
    const viewer = await client(b.url);
    viewer.send({ type: 'submit', id: 'm', space: 'media-across', prompt: 'clip', push_files: true });
    const { job } = await viewer.wait('accepted', (m) => m.type === 'accepted' && m.id === 'm');
    await w.wait('the job', (m) => m.type === 'job' && m.job === job);
    // Back to back, small and large (the large ones cross Redis in many reads, into reused memory).
    const frames = [70_000, 1_500_000, 300_000, 5, 900_000].map((size, f) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 13 + f) % 256)));
    for (const frame of frames) {
      w.send({ type: 'partial', job, files: [{ name: 'f.jpg', mime: 'image/jpeg', binary: true }] });
      w.sendBinary(encodeFrame({ ref: job, index: 0 }, frame));
    }
    w.send({ type: 'result', job, data: { frames: frames.length } });
    await viewer.wait('result', (m) => m.type === 'result' && m.job === job, 20_000);
    const partials = viewer.of('partial', job);
    frames.forEach((frame, f) => {
      const pushed = decodeFrame(viewer.binary[f]!)!;
      expect(pushed.header).toMatchObject({ ref: job, seq: partials[f]!.seq, index: 0, size: frame.length });
      expect(pushed.payload.equals(frame)).toBe(true);
    });

    const replayer = await client(c.url);
    replayer.send({ type: 'resume', job, after_seq: 0, push_files: true });
    await replayer.wait('replayed result', (m) => m.type === 'result' && m.job === job);
    frames.forEach((frame, f) => expect(decodeFrame(replayer.binary[f]!)!.payload.equals(frame)).toBe(true));
    viewer.close();
    replayer.close();
    w.close();
  });

  it('runs 1,000 jobs across 3 instances and 6 workers with none lost and none run twice', async () => {
    await api(instances[0]!.url, 'POST', '/v1/admin/spaces', { name: 'thousand', inputs: ['prompt'], max_queue: 2000 });
    const workers = Array.from({ length: 6 }, (_, i) => worker(instances[i % 3]!.url, 'thousand', { tokens: 1, delay: 1, slots: 2, name: `w${i}` }));
    await Promise.all(workers.map((w) => w.waitFor('registered')));
    const clients = await Promise.all(instances.map((i) => client(i.url)));
    for (let n = 0; n < 1000; n++) clients[n % 3]!.send({ type: 'submit', space: 'thousand', prompt: String(n) });
    // Exactly 1,000: a result delivered twice would overshoot and fail this wait.
    await until('1,000 results', () => clients.reduce((sum, c) => sum + c.of('result').length, 0) === 1000 || undefined, 120_000);
    await new Promise((r) => setTimeout(r, 300)); // and no duplicate arrives late
    expect(clients.reduce((sum, c) => sum + c.of('result').length, 0)).toBe(1000);
    const accepted = clients.flatMap((c) => c.of('accepted').map((m) => m.job));
    expect(new Set(accepted).size).toBe(1000);
    const results = clients.flatMap((c) => c.of('result').map((m) => m.job));
    expect(new Set(results)).toEqual(new Set(accepted));
    // Each job was handed to a worker exactly once (no worker died here).
    const runs = workers.flatMap((w) => w.output().match(/^job \S+/gm) ?? []).map((l) => l.slice(4));
    expect(runs).toHaveLength(1000);
    expect(new Set(runs).size).toBe(1000);
    // Every worker took part, and none was ever given more jobs at once than its 2 slots (a
    // result's step claims the next job for its slot: several results in one turn must not overfill it).
    expect(workers.every((w) => (w.output().match(/^job /gm) ?? []).length > 0)).toBe(true);
    const mostAtOnce = (out: string) => {
      let now = 0;
      let most = 0;
      for (const line of out.split('\n')) {
        if (line.startsWith('job ')) most = Math.max(most, ++now);
        else if (line.startsWith('done ')) now -= 1;
      }
      return most;
    };
    expect(workers.map((w) => mostAtOnce(w.output()))).toEqual(Array(6).fill(2));
    clients.forEach((c) => c.close());
    for (const w of workers) await w.kill('SIGKILL');
  }, 150_000);

  it('tells a client on one instance its new places as a worker on another drains the queue — each place once, worked out by one instance rather than by each that watches the queue', async () => {
    const [a, b, c] = instances as [(typeof instances)[0], (typeof instances)[0], (typeof instances)[0]];
    expect((await api(a.url, 'POST', '/v1/admin/spaces', { name: 'places', inputs: ['prompt'], max_queue: 100 })).status).toBe(201);
    const w = worker(b.url, 'places', { tokens: 1, delay: 60, name: 'drainer' });
    await w.waitFor('registered');
    await until('instance c to see the worker', async () => (await api(c.url, 'GET', '/v1/spaces/places')).body.connected || undefined);
    // Every TELL script Redis runs, counted from its slow log (everything is "slow" at 0).
    const admin = new Redis(redis.url);
    await admin.config('SET', 'slowlog-max-len', '100000');
    await admin.config('SET', 'slowlog-log-slower-than', '0');
    await admin.slowlog('RESET');
    const peer = await client(c.url);
    for (let n = 0; n < 16; n++) peer.send({ type: 'submit', space: 'places', prompt: String(n) });
    // More submits on c while b drains: each makes c look at the queue again, as each result makes b.
    for (let n = 0; n < 6; n++) {
      await new Promise((r) => setTimeout(r, 150));
      peer.send({ type: 'submit', space: 'places', prompt: `late ${n}` });
    }
    await until('22 results', () => peer.of('result').length === 22 || undefined, 30_000);
    const log = (await admin.slowlog('GET', 100000)) as Array<[number, number, number, string[]]>;
    await admin.config('SET', 'slowlog-log-slower-than', '10000');
    admin.disconnect();
    const { calls, tells } = tellsIn(log);
    const places = new Map<string, number[]>();
    for (const m of peer.of('position')) places.set(m.job, [...(places.get(m.job) ?? []), m.position]);
    expect([...places.values()].flat().length).toBeGreaterThan(10);
    // Each job's place only goes down, each told once.
    for (const told of places.values()) for (let i = 1; i < told.length; i++) expect(told[i]).toBeLessThan(told[i - 1]!);
    // One update per place told, give or take two instances asking at the same moment — where every
    // instance that looked told every move, b's results and c's submits made about twice as many.
    expect(tells).toBeLessThanOrEqual(Math.ceil([...places.values()].flat().length * 1.2) + 2);
    expect(calls).toBeLessThanOrEqual(tells);
    peer.close();
    await w.kill('SIGKILL');
  }, 60_000);

  it('has an instance looking at a long queue for the first time work out only what moved since the last told, not tell every job', async () => {
    const [a, , c] = instances as [(typeof instances)[0], (typeof instances)[0], (typeof instances)[0]];
    expect((await api(a.url, 'POST', '/v1/admin/spaces', { name: 'long', inputs: ['prompt'], max_queue: 2000 })).status).toBe(201);
    // A thousand waiting on c (no worker), their places told as they were submitted.
    const submitter = await client(c.url);
    for (let n = 0; n < 1000; n++) submitter.send({ type: 'submit', space: 'long', prompt: String(n) });
    await until('1,000 accepted', () => submitter.of('accepted').length === 1000 || undefined, 30_000);
    const ids = submitter.of('accepted').map((m) => m.job as string);
    // Three cancels at the head on c: c tells the moves (and claims them).
    for (const job of ids.slice(0, 3)) submitter.send({ type: 'cancel', id: `x${job}`, job });
    await until('three cancelled', () => submitter.of('cancelled').length === 3 || undefined);
    // Past the far part's cadence (four status intervals of 250 ms): c has told those moves there too.
    await new Promise((r) => setTimeout(r, 1500));
    const admin = new Redis(redis.url);
    await admin.config('SET', 'slowlog-max-len', '100000');
    await admin.config('SET', 'slowlog-log-slower-than', '0');
    await admin.slowlog('RESET');
    // One more cancel, on a, which has never looked at this queue: its first look.
    const other = await client(a.url);
    other.send({ type: 'cancel', id: 'y', job: ids[3]! });
    await until('the fourth cancelled', () => submitter.of('cancelled').length === 4 || undefined);
    await until('the move told', () => submitter.of('position').some((m) => m.job === ids[4] && m.position === 0) || undefined);
    await new Promise((r) => setTimeout(r, 700));
    const log = (await admin.slowlog('GET', 100000)) as Array<[number, number, number, string[]]>;
    await admin.config('SET', 'slowlog-log-slower-than', '10000');
    admin.disconnect();
    const { calls, tells } = tellsIn(log);
    // One departure moves every job by a place, but only those near the head or crossing a step are
    // told (~100 + a few): reading the whole queue and telling each of the 996 would be ten times that.
    expect(tells).toBeGreaterThan(0);
    expect(tells).toBeLessThan(300);
    // Told together: one script for up to 64 updates, not one each.
    expect(calls).toBeLessThanOrEqual(Math.ceil(tells / 64) + 1);
    submitter.close();
    other.close();
  }, 60_000);
});

describe('losing an instance', () => {
  it('requeues the job of a worker whose instance died; a worker on another instance finishes it, one result', async () => {
    const doomed = await instance();
    const [a] = instances as [(typeof instances)[0]];
    await api(a.url, 'POST', '/v1/admin/spaces', { name: 'survive', inputs: ['prompt'] });
    const onDoomed = worker(doomed.url, 'survive', { tokens: 200, delay: 20, name: 'doomed' });
    await onDoomed.waitFor('registered');
    const peer = await client(a.url);
    peer.send({ type: 'submit', space: 'survive', prompt: 'x' });
    await peer.wait('a token from the doomed side', (m) => m.type === 'token' && m.text.startsWith('doomed'), 20_000);
    await doomed.proc.kill('SIGKILL');
    await onDoomed.kill('SIGKILL');
    const rescuer = worker(a.url, 'survive', { tokens: 3, delay: 5, name: 'rescuer' });
    await rescuer.waitFor('registered');
    // The lease (1.5 s here) runs out with nobody to renew it; a surviving instance requeues.
    const requeued = await peer.wait('requeued', (m) => m.type === 'queued' && m.reason === 'lease expired', 20_000);
    expect(requeued.attempt).toBe(1);
    // Once (under a full suite's load) no result came within 20 s: should it again, what the client saw says where it stopped.
    const result = await peer
      .wait('result', (m) => m.type === 'result', 20_000)
      .catch((err: Error) => {
        const seen = peer.messages.map((m) => [m.type, m.attempt, m.reason ?? m.code].filter((x) => x !== undefined).join(':'));
        throw new Error(`${err.message}; the client saw ${seen.filter((s, i) => s !== seen[i - 1]).join(', ')}; the rescuer printed ${rescuer.output().slice(-400)}`);
      });
    expect(result.data.worker).toBe('rescuer');
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.of('result')).toHaveLength(1);
    peer.close();
    await rescuer.kill('SIGKILL');
  }, 60_000);

  it('through nginx: the instance holding the client dies, the client resumes on another, every token once', async () => {
    const lb = await startNginx(instances.map((i) => i.port));
    // The worker sits on a fourth instance that nginx does not front, so killing the client's
    // instance never takes the worker with it.
    const workerHome = await instance();
    try {
      await api(instances[0]!.url, 'POST', '/v1/admin/spaces', { name: 'via-nginx', inputs: ['prompt'] });
      const w = worker(workerHome.url, 'via-nginx', { tokens: 60, delay: 25, name: 'steady' });
      await w.waitFor('registered');
      // The client knows only nginx: its reconnect lands on whichever instance is still up.
      const sdk = await sdkClient(lb.url, { token: TOKEN });
      const job = await sdk.submit('via-nginx', { prompt: 'stream' });
      const tokens: string[] = [];
      job.on((e) => e.type === 'token' && tokens.push(e.text));
      await until('some tokens', () => tokens.length >= 10 || undefined, 20_000);
      // Kill whichever instance holds this client's socket (the one nginx picked).
      const holder = await findClientInstance(instances);
      await holder.proc.kill('SIGKILL');
      await job.result();
      expect(tokens).toEqual(Array.from({ length: 60 }, (_, i) => `steady:${i} `));
      sdk.close();
      await w.kill('SIGKILL');
      await workerHome.proc.kill('SIGKILL');
    } finally {
      await lb.stop();
    }
  }, 60_000);
});

describe('a rolling deploy through nginx', () => {
  it('SIGTERM on the instance serving the worker: every running job goes on as attempt 1, one stream each', async () => {
    // Two fresh instances with leases long enough for the worker to find the other one.
    const env = { SPACEPORT_REDIS_URL: redis.url, SPACEPORT_REDIS_PREFIX: prefix, SPACEPORT_LEASE_MS: '15000', SPACEPORT_HEARTBEAT_MS: '1000' };
    const pair = await Promise.all(
      [0, 1].map(async () => {
        const dir = mkdtempSync(join(tmpdir(), 'spaceport-mi-'));
        dirs.push(dir);
        const served = await serveProcess(dir, TOKEN, env);
        procs.push(served.proc);
        return { ...served, port: Number(new URL(served.url).port) };
      }),
    );
    const lb = await startNginx(pair.map((i) => i.port));
    try {
      await api(pair[0]!.url, 'POST', '/v1/admin/spaces', { name: 'rolling', inputs: ['prompt'] });
      const w = runTs('src/cli/main.ts', ['worker', '--host', lb.url, '--spaces', 'rolling', '--slots', '8', '--handler', 'test/fixtures/slow-tokens-handler.mjs'], { SPACEPORT_TOKEN: TOKEN });
      procs.push(w);
      await w.waitFor('registered as');
      const sdk = await sdkClient(lb.url, { token: TOKEN });
      const jobs = await Promise.all(Array.from({ length: 8 }, (_, i) => sdk.submit('rolling', { prompt: `job ${i}` })));
      await until('every job streaming', () => jobs.every((j) => j.text.length > 0) || undefined, 20_000);
      // Stop the instance the worker is on, as a deploy would.
      const home = await findInstanceWith(pair, 'worker');
      await home.proc.kill('SIGTERM');
      const results = await Promise.all(jobs.map((j) => j.result()));
      expect(results.map((r) => r.data)).toEqual(jobs.map(() => ({ count: 60 })));
      const expected = Array.from({ length: 60 }, (_, i) => `t${i} `).join('');
      expect(jobs.map((j) => j.text)).toEqual(jobs.map(() => expected));
      const other = pair.find((i) => i !== home)!;
      for (const j of jobs) expect((await api(other.url, 'GET', `/v1/jobs/${j.id}`)).body).toMatchObject({ state: 'completed', attempt: 1 });
      sdk.close();
      await w.kill('SIGKILL');
    } finally {
      await lb.stop();
    }
  }, 90_000);
});

/** The instance with a connection on this endpoint. */
async function findInstanceWith(list: typeof instances, endpoint: string): Promise<(typeof instances)[0]> {
  for (const i of list) {
    const metrics = await fetch(`${i.url}/metrics`).then((r) => r.text());
    if (new RegExp(`spaceport_connections\\{endpoint="${endpoint}"\\} [1-9]`).test(metrics)) return i;
  }
  throw new Error(`no instance holds a ${endpoint} connection`);
}

/** The instance whose /health reports a client connection besides the workers. */
async function findClientInstance(list: typeof instances): Promise<(typeof instances)[0]> {
  for (const i of list) {
    if (i.proc.child.exitCode !== null || i.proc.child.signalCode !== null) continue;
    const metrics = await fetch(`${i.url}/metrics`).then((r) => r.text());
    if (/spaceport_connections\{endpoint="client"\} [1-9]/.test(metrics)) return i;
  }
  throw new Error('no instance holds the client');
}
