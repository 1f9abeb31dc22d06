import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/latch.ts';
import { WsPeer } from '../helpers/ws-peer.ts';
import { runTs, serveProcess, tokenWorker, type Proc } from '../helpers/processes.ts';
import { freePort } from '../helpers/redis.ts';

const TOKEN = 'restart-admin-token';
const dataDir = mkdtempSync(join(tmpdir(), 'spaceport-restart-'));
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});
// One gateway per data directory (the second is refused): each test starts after the last one's are gone.
beforeEach(async () => {
  for (const p of procs.splice(0)) await p.kill('SIGKILL');
});

async function serve(env: Record<string, string> = {}): Promise<{ proc: Proc; url: string }> {
  const served = await serveProcess(dataDir, TOKEN, env);
  procs.push(served.proc);
  return served;
}

const api = (url: string, method: string, path: string, body?: unknown) =>
  fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe('a gateway killed with jobs queued and running', () => {
  it('loses none of them: after a restart they all complete', async () => {
    const first = await serve();
    expect((await api(first.url, 'POST', '/v1/admin/spaces', { name: 'durable', inputs: ['prompt'] })).status).toBe(201);
    // One job is running on a worker when the gateway dies; five more are queued behind it.
    const worker = tokenWorker(first.url.replace('http', 'ws'), 'durable', TOKEN, { tokens: 100, delay: 50, name: 'before' });
    procs.push(worker);
    await worker.waitFor('registered');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await api(first.url, 'POST', '/v1/jobs', { space: 'durable', prompt: `job ${i}` })).body.job);
    await worker.waitFor('job ');
    // Assignment and start reach the disk with the next event batch (every 50 ms); let one pass so
    // the crash finds the job recorded as running, and its attempt counts.
    await new Promise((r) => setTimeout(r, 300));
    await first.proc.kill('SIGKILL');
    await worker.kill('SIGKILL');

    const second = await serve();
    const states = await Promise.all(ids.map(async (id) => (await api(second.url, 'GET', `/v1/jobs/${id}`)).body.state));
    expect(states.every((s) => ['queued', 'assigned', 'running'].includes(s))).toBe(true);
    const rescuer = tokenWorker(second.url.replace('http', 'ws'), 'durable', TOKEN, { tokens: 2, delay: 5, name: 'after', slots: 2 });
    procs.push(rescuer);
    const deadline = Date.now() + 20_000;
    let states2: string[] = [];
    while (Date.now() < deadline) {
      states2 = await Promise.all(ids.map(async (id) => (await api(second.url, 'GET', `/v1/jobs/${id}`)).body.state));
      if (states2.every((s) => s === 'completed')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(states2).toEqual(ids.map(() => 'completed'));
    const results = await Promise.all(ids.map(async (id) => (await api(second.url, 'GET', `/v1/jobs/${id}`)).body));
    expect(results.every((r) => r.result.data.worker === 'after')).toBe(true);
    // The job that was running when the gateway died was requeued: its second attempt finished it.
    expect(results[0].attempt).toBe(2);
  });
});

/** A new space on the gateway at `url`, a raw worker registered into it with one slot, and a client. */
async function spaceWithPeers(url: string, space: string): Promise<{ worker: WsPeer; client: WsPeer }> {
  await api(url, 'POST', '/v1/admin/spaces', { name: space, inputs: ['prompt'] });
  const ws = url.replace('http', 'ws');
  const worker = await WsPeer.open(`${ws}/v1/worker`);
  worker.send({ type: 'register', token: TOKEN, spaces: [space], slots: 1 });
  await worker.wait('registered', (m) => m.type === 'registered');
  return { worker, client: await WsPeer.open(`${ws}/v1/ws`) };
}

describe('a gateway killed right after a client saw a result', () => {
  it('still has the result and every event after a restart (from its job journal)', async () => {
    // Nothing reaches SQLite for a minute: what the client saw is only in the journal's segment
    // when the gateway dies.
    const first = await serve({ SPACEPORT_FLUSH_MS: '60000', SPACEPORT_APPLY_MS: '60000' });
    const { worker, client } = await spaceWithPeers(first.url, 'journaled');
    client.send({ type: 'submit', space: 'journaled', prompt: 'keep me' });
    const job = (await worker.wait('job', (m) => m.type === 'job')).job;
    worker.send({ type: 'started', job });
    worker.send({ type: 'token', job, text: 'kept' });
    worker.send({ type: 'result', job, data: { answer: 42 } });
    await client.wait('result', (m) => m.type === 'result');
    await first.proc.kill('SIGKILL');
    worker.close();

    const second = await serve();
    const got = (await api(second.url, 'GET', `/v1/jobs/${job}`)).body;
    expect(got).toMatchObject({ state: 'completed', attempt: 1, result: { data: { answer: 42 } } });
    const replay = await WsPeer.open(`${second.url.replace('http', 'ws')}/v1/ws`, { authorization: `Bearer ${TOKEN}` });
    replay.send({ type: 'subscribe', topic: `job:${job}`, after_seq: 0 });
    await replay.wait('result', (m) => m.type === 'result');
    expect(replay.messages.filter((m) => m.job === job).map((m) => [m.type, m.seq])).toEqual([
      ['queued', 1],
      ['started', 2],
      ['token', 3],
      ['result', 4],
    ]);
  });
});

describe('SIGTERM', () => {
  it('closes clients with 1001 and workers with 1012, exits 0, and keeps the jobs for the next start', async () => {
    const first = await serve();
    const { worker, client } = await spaceWithPeers(first.url, 'graceful');
    client.send({ type: 'submit', space: 'graceful', prompt: 'running' });
    client.send({ type: 'submit', space: 'graceful', prompt: 'queued' });
    await until('two accepted', () => client.of('accepted').length === 2 || undefined);
    const jobs = client.of('accepted').map((m) => m.job);
    const running = await worker.wait('job', (m) => m.type === 'job');
    worker.send({ type: 'started', job: running.job });
    await client.wait('started', (m) => m.type === 'started');

    await first.proc.kill('SIGTERM');
    expect(first.proc.child.exitCode).toBe(0);
    expect((await client.waitClosed()).code).toBe(1001);
    expect((await worker.waitClosed()).code).toBe(1012);

    const second = await serve();
    // Neither was lost. The running one waits for its worker to come back and re-attach (a worker
    // closed with 1012 may); none does here, so the first sweep after the start requeues it.
    await until('both queued', async () => (await Promise.all(jobs.map(async (id) => (await api(second.url, 'GET', `/v1/jobs/${id}`)).body.state))).every((s) => s === 'queued') || undefined, 10_000);
  });
});

describe('one gateway per data directory', () => {
  it('refuses a second process on the same directory with a clear message, and lets one start after the first is killed', async () => {
    const first = await serve();
    const second = runTs('src/cli/main.ts', ['serve', '--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--no-demo'], { SPACEPORT_ADMIN_TOKEN: TOKEN });
    expect(await second.exited()).not.toBe(0);
    expect(second.output()).toContain(`is in use by another Spaceport process (pid ${first.proc.child.pid})`);
    await first.proc.kill('SIGKILL'); // its lock stays behind, naming a pid that no longer runs
    const third = await serve();
    expect((await api(third.url, 'GET', '/health', undefined)).status).toBe(200);
  });
});

describe('a gateway killed while a client watched events not yet on disk', () => {
  it('never resumes silently wrong: the numbers it lost are answered with recovered: false, and the retry is a new epoch', async () => {
    // Tokens reach the disk only every minute here: the crash loses the ones the client saw.
    const first = await serve({ SPACEPORT_FLUSH_MS: '60000' });
    await api(first.url, 'POST', '/v1/admin/spaces', { name: 'epochs', inputs: ['prompt'] });
    const worker = tokenWorker(first.url.replace('http', 'ws'), 'epochs', TOKEN, { tokens: 1000, delay: 20, name: 'doomed' });
    procs.push(worker);
    await worker.waitFor('registered');
    const client = await WsPeer.open(`${first.url.replace('http', 'ws')}/v1/ws`, { authorization: `Bearer ${TOKEN}` });
    client.send({ type: 'submit', space: 'epochs', prompt: 'lost in the crash' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await client.wait('some tokens', (m) => m.type === 'token' && m.job === job && m.seq >= 12);
    const seen = Math.max(...client.messages.filter((m) => m.job === job && m.seq).map((m) => m.seq));
    await first.proc.kill('SIGKILL');
    await worker.kill('SIGKILL');

    const second = await serve();
    const wsUrl = `${second.url.replace('http', 'ws')}/v1/ws`;
    // Straight after the restart: the log stops before what the client saw.
    const early = await WsPeer.open(wsUrl, { authorization: `Bearer ${TOKEN}` });
    early.send({ type: 'resume', id: 'r', job, after_seq: seen, epoch: 1 });
    expect(await early.wait('ack', (m) => m.type === 'ack' && m.id === 'r')).toMatchObject({ recovered: false });
    // A worker takes the job again: attempt 2, a new epoch, whose numbers reuse the lost ones.
    const rescuer = tokenWorker(second.url.replace('http', 'ws'), 'epochs', TOKEN, { tokens: 30, delay: 5, name: 'rescuer' });
    procs.push(rescuer);
    const requeued = await early.wait('requeued', (m) => m.type === 'queued' && m.job === job && m.epoch);
    expect(requeued.seq).toBeLessThanOrEqual(seen); // the same numbers, new events: only the epoch tells
    await early.wait('result', (m) => m.type === 'result' && m.job === job);
    // A client that still has the old numbers learns they no longer hold, and gets the new attempt whole.
    const late = await WsPeer.open(wsUrl, { authorization: `Bearer ${TOKEN}` });
    late.send({ type: 'resume', id: 'r', job, after_seq: seen, epoch: 1 });
    expect(await late.wait('ack', (m) => m.type === 'ack' && m.id === 'r')).toMatchObject({ recovered: false, epoch: requeued.epoch });
    await late.wait('result', (m) => m.type === 'result' && m.job === job);
    const replay = late.messages.filter((m) => m.job === job && m.seq);
    expect(replay[0]).toMatchObject({ type: 'queued', seq: requeued.seq, epoch: requeued.epoch });
    expect(replay.filter((m) => m.type === 'token')).toHaveLength(30);
    for (const c of [client, early, late]) c.close();
  }, 60_000);
});

describe('a deploy: SIGTERM, then the new process on the same port', () => {
  it('keeps the running jobs: their worker re-attaches, clients resume exactly, one stream each, attempt 1', async () => {
    const port = await freePort();
    // Leases long enough for the worker to find the new process (it retries with backoff).
    const env = { SPACEPORT_LEASE_MS: '15000', SPACEPORT_HEARTBEAT_MS: '1000' };
    const first = await serveProcess(dataDir, TOKEN, env, port);
    procs.push(first.proc);
    await api(first.url, 'POST', '/v1/admin/spaces', { name: 'deploy', inputs: ['prompt'] });
    const worker = runTs('src/cli/main.ts', ['worker', '--host', first.url, '--spaces', 'deploy', '--slots', '10', '--handler', 'test/fixtures/slow-tokens-handler.mjs'], {
      SPACEPORT_TOKEN: TOKEN,
    });
    procs.push(worker);
    await worker.waitFor('registered as');
    const wsUrl = `${first.url.replace('http', 'ws')}/v1/ws`;
    const before = await WsPeer.open(wsUrl, { authorization: `Bearer ${TOKEN}` });
    for (let i = 0; i < 10; i++) before.send({ type: 'submit', id: `s${i}`, space: 'deploy', prompt: `job ${i}` });
    await until('ten accepted', () => before.of('accepted').length === 10 || undefined);
    const jobs = before.of('accepted').map((m) => m.job as string);
    await until('every job streaming', () => jobs.every((job) => before.messages.some((m) => m.job === job && m.type === 'token' && m.text === 't5 ')) || undefined, 20_000);

    await first.proc.kill('SIGTERM');
    expect((await before.waitClosed()).code).toBe(1001);

    const second = await serveProcess(dataDir, TOKEN, env, port);
    procs.push(second.proc);
    const after = await WsPeer.open(wsUrl, { authorization: `Bearer ${TOKEN}` });
    for (const job of jobs) {
      const lastSeq = Math.max(...before.messages.filter((m) => m.job === job && m.seq).map((m) => m.seq));
      after.send({ type: 'resume', id: job, job, after_seq: lastSeq, epoch: 1 });
      expect(await after.wait('ack', (m) => m.type === 'ack' && m.id === job)).toMatchObject({ recovered: true, epoch: 1 });
    }
    await until('ten results', () => after.of('result').length === 10 || undefined, 30_000);
    expect(worker.output()).toMatch(/re-attached job_\S+ \(gateway had \d+ message\(s\), sent again \d+\)/);
    for (const job of jobs) {
      const all = [...before.messages, ...after.messages].filter((m) => m.job === job && m.seq);
      // On a failure: the job's stream and the worker's account of its re-attach.
      const story = `${all.map((m) => `${m.seq}:${m.type}${m.text ? `:${m.text.trim()}` : ''}`).join(' ')}\n${worker.output().slice(-4000)}`;
      expect(
        all.map((m) => m.seq),
        story,
      ).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
      expect(
        all.filter((m) => m.type === 'token').map((m) => m.text),
        story,
      ).toEqual(Array.from({ length: 60 }, (_, i) => `t${i} `));
      expect(all.filter((m) => m.type === 'queued')).toHaveLength(1); // never requeued
      expect((await api(second.url, 'GET', `/v1/jobs/${job}`)).body).toMatchObject({ state: 'completed', attempt: 1 });
    }
    after.close();
  }, 60_000);
});
