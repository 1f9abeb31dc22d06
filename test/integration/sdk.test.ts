import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStreamEvent } from '../../src/sdk/node.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { cuttableProxy } from '../helpers/cuttable-proxy.ts';
import { until } from '../helpers/latch.ts';
import type { Proc } from '../helpers/processes.ts';
import { sdkClient, sdkWorker } from '../helpers/sdk.ts';

let gw: TestGateway;
let apiKey: string;
let worker: Proc;

beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'sdk', inputs: ['prompt', 'image', 'files'] });
  apiKey = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'sdk-tests' })).body.key;
  worker = await sdkWorker(gw.url, 'sdk', ADMIN_TOKEN, 2);
});
afterAll(async () => {
  await worker?.kill('SIGKILL');
  await gw.stop();
});

/** On a gateway of the test's own: a raw worker, an SDK client's job that it has started and sent a first token `a` of. */
async function startedOnRawWorker(gateway: TestGateway, space: string) {
  await gateway.createSpace({ name: space, inputs: ['prompt'] });
  const rawWorker = await gateway.worker([space]);
  const client = await sdkClient(gateway.url, { token: ADMIN_TOKEN });
  const job = await client.submit(space, { prompt: 'x' });
  const { job: id } = await rawWorker.wait('job', (m) => m.type === 'job');
  rawWorker.send({ type: 'started', job: id });
  rawWorker.send({ type: 'token', job: id, text: 'a' });
  return { rawWorker, client, job, id: id as string };
}

const collect = async (events: AsyncIterable<JobStreamEvent>) => {
  const all: JobStreamEvent[] = [];
  for await (const e of events) all.push(e);
  return all;
};

describe('client SDK + worker SDK', () => {
  it('keeps a job handle’s queue position current from the gateway’s position updates', async () => {
    await gw.createSpace({ name: 'sdk-line', inputs: ['prompt'] });
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const jobs: Array<Awaited<ReturnType<typeof client.submit>>> = [];
    for (const prompt of ['a', 'b', 'c']) jobs.push(await client.submit('sdk-line', { prompt }));
    expect(jobs.map((j) => j.position)).toEqual([0, 1, 2]);
    const seen: JobStreamEvent[] = [];
    jobs[2]!.on((e) => seen.push(e));
    await jobs[0]!.cancel();
    await until('the last one moved up', () => jobs[2]!.position === 1 || undefined);
    expect(seen.at(-1)).toEqual({ type: 'position', job: jobs[2]!.id, position: 1, eta_ms: null });
    expect(jobs[1]!.position).toBe(0);
    for (const j of jobs.slice(1)) await j.cancel();
    client.close();
  });

  it('submits with a binary file; the worker gets the bytes and returns a file; the client downloads it', async () => {
    const client = await sdkClient(gw.url, { token: apiKey });
    // PNG's signature (the gateway checks an image by it), then bytes of many values.
    const image = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(Array.from({ length: 2992 }, (_, i) => i % 251))]);
    const job = await client.submit('sdk', { prompt: 'look', files: [{ name: 'pic.png', mime: 'image/png', data: image }] });
    const { data, files } = await job.result();
    expect(data).toEqual({ echo: 'look', user: 'sdk-tests', files: [{ name: 'pic.png', size: 3000, input: 'image' }] });
    expect(files).toHaveLength(1);
    const download = await client.download(files[0]!.id);
    expect(download.name).toBe('reversed-pic.png');
    expect(Buffer.from(download.bytes).equals(Buffer.from(image).reverse())).toBe(true);
    client.close();
  });

  it('streams live media: partials with pushed frames arrive with their bytes, in order (pushFiles)', async () => {
    const client = await sdkClient(gw.url, { token: apiKey });
    const job = await client.submit('sdk', { prompt: 'frames 5', pushFiles: true });
    const events = await collect(job);
    const partials = events.filter((e) => e.type === 'partial');
    expect(partials.map((p) => p.data)).toEqual([0, 1, 2, 3, 4].map((frame) => ({ frame })));
    for (const [i, p] of partials.entries()) {
      expect(p.files).toHaveLength(1);
      expect(p.files![0]).toMatchObject({ name: `f${i}.raw`, size: 1000 });
      expect(Buffer.from(p.files![0]!.bytes!).equals(Buffer.alloc(1000, i))).toBe(true);
    }
    expect(events.at(-1)).toMatchObject({ type: 'result', data: { frames: 5 } });
    // Without pushFiles the events name the files and the bytes are fetched on demand.
    const plain = await collect(await client.submit('sdk', { prompt: 'frames 1' }));
    const file = plain.find((e) => e.type === 'partial')!.files![0]!;
    expect(file.bytes).toBeUndefined();
    expect(Buffer.from((await client.download(file.id)).bytes).equals(Buffer.alloc(1000, 0))).toBe(true);
    client.close();
  });

  it('streams tokens and progress as an async iterable, in seq order, ending with the result', async () => {
    const client = await sdkClient(gw.url, { token: apiKey });
    const job = await client.submit('sdk', { prompt: 'count 8 5' });
    const events = await collect(job);
    const seqs = events.map((e) => ('seq' in e ? e.seq : -1));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(
      events
        .filter((e) => e.type === 'token')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toBe('t0 t1 t2 t3 t4 t5 t6 t7 ');
    expect(events.some((e) => e.type === 'progress')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'result', data: { count: 8 } });
    client.close();
  });

  it('cancels: the handler sees its AbortSignal, the worker acknowledges, result() rejects with cancelled', async () => {
    const client = await sdkClient(gw.url, { token: apiKey });
    const job = await client.submit('sdk', { prompt: 'hang' });
    await new Promise<void>((resolve) => job.on((e) => e.type === 'started' && resolve()));
    await job.cancel();
    await expect(job.result()).rejects.toMatchObject({ code: 'cancelled' });
    await worker.waitFor(`"job":"${job.id}","ms"`);
    expect(worker.output()).toMatch(new RegExp(`"type":"done","job":"${job.id}","ms":\\d+,"outcome":"cancelled"`));
    client.close();
  });

  it('turns a thrown error into a failed job with the message', async () => {
    const client = await sdkClient(gw.url, { token: apiKey });
    const job = await client.submit('sdk', { prompt: 'fail' });
    await expect(job.result()).rejects.toMatchObject({ code: 'worker_error', message: 'the model is on fire' });
    client.close();
  });

  it('rejects a submit to an unknown space with the gateway code', async () => {
    const client = await sdkClient(gw.url, { token: apiKey });
    await expect(client.submit('nope', { prompt: 'x' })).rejects.toMatchObject({ code: 'space_not_found' });
    client.close();
  });

  it('after the gateway drops the connection mid-stream, reconnects and delivers every token exactly once', async () => {
    const states: string[] = [];
    const client = await sdkClient(gw.url, { token: apiKey, onState: (s) => states.push(s) });
    const job = await client.submit('sdk', { prompt: 'count 40 15' });
    const tokens: string[] = [];
    job.on((e) => {
      if (e.type !== 'token') return;
      tokens.push(e.text);
      // Cut the connection from the gateway's side, as a network failure would, twice.
      if (tokens.length === 10 || tokens.length === 25) for (const p of gw.context.peers.all()) if (p.endpoint === 'client') p.terminate();
    });
    await job.result();
    expect(tokens).toEqual(Array.from({ length: 40 }, (_, i) => `t${i} `));
    expect(states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(2);
    client.close();
  });

  it('never splices two attempts: a job requeued while the client was away comes back as a reset and the new attempt', async () => {
    await gw.createSpace({ name: 'sdk-attempts', inputs: ['prompt'] });
    const first = await gw.worker(['sdk-attempts']);
    // It reconnects only after the requeue below has happened (the worker's loss takes milliseconds).
    const client = await sdkClient(gw.url, { token: apiKey, reconnect: { minMs: 800, maxMs: 1000 } });
    const job = await client.submit('sdk-attempts', { prompt: 'two tries' });
    const events: string[] = [];
    job.on((e) => events.push(e.type === 'token' ? `token:${e.text}` : e.type === 'queued' ? `queued:${e.attempt}` : e.type));
    await first.next('job', (m) => m.type === 'job' && m.job === job.id);
    first.send({ type: 'started', job: job.id });
    for (const t of ['one ', 'two ']) first.send({ type: 'token', job: job.id, text: t });
    await until('the first attempt’s tokens', () => job.text === 'one two ' || undefined);
    // The client is cut off; meanwhile its worker is lost and another takes the job (attempt 2).
    for (const p of gw.context.peers.all()) if (p.endpoint === 'client') p.terminate();
    first.close();
    const second = await gw.worker(['sdk-attempts']);
    await second.next('job again', (m) => m.type === 'job' && m.job === job.id);
    second.send({ type: 'started', job: job.id });
    for (const t of ['uno ', 'dos ']) second.send({ type: 'token', job: job.id, text: t });
    second.send({ type: 'result', job: job.id, data: 'done' });
    await job.result();
    expect(job.text).toBe('uno dos ');
    expect(events).toContain('reset');
    expect(events.slice(events.lastIndexOf('reset'))).toEqual(['reset', 'queued:1', 'started', 'token:uno ', 'token:dos ', 'result']);
    expect(job.epoch).toBe(2);
    client.close();
    second.close();
  });

  it('keeps space subscriptions across a reconnect', async () => {
    const client = await sdkClient(gw.url, { token: apiKey });
    const statuses: any[] = [];
    await client.subscribe('space:sdk', (m) => m.type === 'space_status' && statuses.push(m));
    await until('a status', () => statuses.length > 0 || undefined);
    expect(statuses[0]).toMatchObject({ space: 'sdk', connected: true });
    for (const p of gw.context.peers.all()) if (p.endpoint === 'client') p.terminate();
    const before = statuses.length;
    await until('a status after the reconnect', () => statuses.length > before || undefined, 5000);
    client.close();
  });
});

describe('client SDK edge cases', () => {
  it('uploads a blob over HTTP and downloads the same bytes over the WebSocket', async () => {
    const client = await sdkClient(gw.url, { token: apiKey });
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
    const blob = await client.upload(bytes, { name: 'data.bin', mime: 'application/octet-stream' });
    expect(blob).toMatchObject({ name: 'data.bin', mime: 'application/octet-stream', size: 70_000 });
    const back = await client.download(blob.id);
    expect(Buffer.from(back.bytes).equals(Buffer.from(bytes))).toBe(true);
    await expect(client.download('blob_missing')).rejects.toMatchObject({ code: 'blob_not_found' });
    client.close();
  });

  it('hands a listener added late the events the job already had, then the rest, each once', async () => {
    const gw2 = await testGateway();
    try {
      const { rawWorker, client, job, id } = await startedOnRawWorker(gw2, 'late');
      for await (const e of job) if (e.type === 'token') break; // both have reached the handle
      const seen: string[] = [];
      job.on((e) => seen.push(e.type));
      rawWorker.send({ type: 'result', job: id, data: 'done' });
      await job.result();
      expect(seen).toEqual(['queued', 'started', 'token', 'result']);
      client.close();
    } finally {
      await gw2.stop();
    }
  });

  it('says so with a gap event when events missed during a disconnect are no longer kept', async () => {
    const small = await testGateway({ maxEventsPerJob: 5 });
    try {
      const { rawWorker, client, job, id } = await startedOnRawWorker(small, 'tiny-log');
      await new Promise<void>((resolve) => job.on((e) => e.type === 'token' && resolve()));
      for (const p of small.context.peers.all()) if (p.endpoint === 'client') p.terminate();
      for (let i = 0; i < 20; i++) rawWorker.send({ type: 'token', job: id, text: `m${i}` });
      rawWorker.send({ type: 'result', job: id, data: 'done' });
      const events: JobStreamEvent[] = [];
      job.on((e) => events.push(e));
      await job.result();
      const gap = events.find((e) => e.type === 'gap');
      expect(gap).toMatchObject({ type: 'gap', job: id });
      // (`on` hands over the events from before the disconnect too: look at what follows the gap.)
      const resumed = events.slice(events.indexOf(gap!) + 1) as Array<{ seq: number }>;
      // After the gap the stream continues from the oldest kept event, with no duplicates.
      expect(resumed[0]!.seq).toBe((gap as { first_seq: number }).first_seq);
      expect(resumed.map((e) => e.seq)).toEqual(resumed.map((_, i) => resumed[0]!.seq + i));
      client.close();
    } finally {
      await small.stop();
    }
  });
});

describe('worker SDK lifecycle', () => {
  it('reconnects and registers again after losing the gateway connection, then serves new jobs', async () => {
    await gw.createSpace({ name: 'sdk-reconnect', inputs: ['prompt'] });
    const w = await sdkWorker(gw.url, 'sdk-reconnect', ADMIN_TOKEN);
    for (const p of gw.context.peers.all()) if (p.endpoint === 'worker') p.terminate();
    await until('a second registration', () => (w.output().match(/"type":"registered"/g) ?? []).length >= 2 || undefined, 5000);
    const client = await sdkClient(gw.url, { token: apiKey });
    const job = await client.submit('sdk-reconnect', { prompt: 'hello again' });
    expect((await job.result()).data).toMatchObject({ echo: 'hello again' });
    client.close();
    await w.kill('SIGKILL');
  });

  /**
   * A gateway of its own with an SDK worker behind a cuttable proxy, and a job of `prompt` submitted
   * to it. Its lease and re-attach grace are more than a loaded machine's reconnect can outlast
   * (past either, the job is requeued: attempt 2, which these tests would take for a loss).
   */
  async function behindProxy(space: string, prompt: string) {
    const own = await testGateway({ core: { reattachGraceMs: 10_000, leaseMs: 10_000 } });
    await own.createSpace({ name: space, inputs: ['prompt'] });
    const proxy = await cuttableProxy(own.port);
    const w = await sdkWorker(proxy.url, space, ADMIN_TOKEN);
    const client = await sdkClient(own.url, { token: ADMIN_TOKEN });
    const job = await client.submit(space, { prompt });
    /** The job ended whole, as its first attempt: re-attached each time, never requeued. */
    const wholeOnce = async (count: number) => {
      expect((await job.result()).data).toEqual({ count });
      expect(job.text).toBe(Array.from({ length: count }, (_, i) => `t${i} `).join(''));
      expect((await own.admin('GET', `/v1/jobs/${job.id}`)).body).toMatchObject({ state: 'completed', attempt: 1 });
    };
    const stop = async () => {
      client.close();
      proxy.close();
      await w.kill('SIGKILL');
      await own.stop();
    };
    return { proxy, w, job, wholeOnce, stop };
  }

  it('loses nothing a worker sent into a connection that had died: after the re-attach it sends again what the gateway lacks, once', async () => {
    const { proxy, w, job, wholeOnce, stop } = await behindProxy('sdk-blackhole', 'count 120 2');
    for (const at of [20, 60]) {
      await until(`${at} tokens`, () => (job.text.split(' ').length > at ? true : undefined));
      // The worker's next tokens go nowhere (its writes succeed); then the connection is cut.
      proxy.blackhole();
      await new Promise((resolve) => setTimeout(resolve, 60));
      proxy.cut();
    }
    await wholeOnce(120);
    await until('registered three times', () => (w.output().match(/"type":"registered"/g) ?? []).length === 3 || undefined);
    await stop();
  });

  it('loses no result written into a connection that had died: a job that ended meanwhile is kept until the gateway has it', async () => {
    const { proxy, w, job, wholeOnce, stop } = await behindProxy('sdk-last-words', 'count 20 5');
    await until('a first token', () => (job.text.length > 0 ? true : undefined));
    // The rest of its tokens and its result go nowhere (the worker's writes succeed), and the job
    // ends on the worker's side before the connection is seen to die.
    proxy.blackhole();
    await until('the job to end on the worker', () => (w.output().includes('"type":"done"') ? true : undefined));
    proxy.cut();
    await wholeOnce(20);
    await stop();
  });

  it('drains on SIGTERM: the running job finishes, no new job is taken, the process exits 0', async () => {
    await gw.createSpace({ name: 'sdk-drain', inputs: ['prompt'] });
    const w = await sdkWorker(gw.url, 'sdk-drain', ADMIN_TOKEN);
    const client = await sdkClient(gw.url, { token: apiKey });
    const running = await client.submit('sdk-drain', { prompt: 'count 10 50' });
    await new Promise<void>((resolve) => running.on((e) => e.type === 'token' && resolve()));
    const waiting = await client.submit('sdk-drain', { prompt: 'count 1' });
    await w.kill('SIGTERM');
    expect(w.child.exitCode).toBe(0);
    expect((await running.result()).data).toEqual({ count: 10 });
    // The queued job was never taken by the draining worker: still queued, now with no worker.
    const state = (await gw.http('GET', `/v1/jobs/${waiting.id}`, undefined, { authorization: `Bearer ${apiKey}` })).body.state;
    expect(state).toBe('queued');
    client.close();
  });
});
