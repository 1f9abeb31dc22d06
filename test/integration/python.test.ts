import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { cuttableProxy } from '../helpers/cuttable-proxy.ts';
import { until } from '../helpers/latch.ts';
import { pythonWith, runPython, type Proc } from '../helpers/processes.ts';
import { sdkClient } from '../helpers/sdk.ts';

let gw: TestGateway;
const procs: Proc[] = [];
const track = (p: Proc) => (procs.push(p), p);

beforeAll(async () => {
  // Room for a worker whose connection was cut to come back and re-attach (a reconnect takes a few
  // hundred ms, more on a loaded machine) before its lease, unrenewed meanwhile, runs out.
  gw = await testGateway({ core: { reattachGraceMs: 3000, leaseMs: 5000 } });
});
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  await gw.stop();
});

describe('python package unit tests', () => {
  it('pass under the machine python3 with pytest', async () => {
    const proc = track(runPython(['-m', 'pytest', 'python/tests', '-q', '-p', 'no:cacheprovider'], {}, pythonWith('pytest') ?? 'python3'));
    await proc.exited();
    expect(proc.output()).toMatch(/\d+ passed/);
    expect(proc.output()).not.toMatch(/failed|error/i);
    expect(proc.child.exitCode).toBe(0);
  });
});

describe('python/example_websocket_app.py (WebSocket Spaces dialect)', () => {
  it('registers by space name, shows its ids, and answers requests one at a time', async () => {
    await gw.createSpace({ name: 'MySpace', inputs: ['prompt'], open_registration: true });
    const app = track(runPython(['python/example_websocket_app.py', '--host', gw.url, '--spaces', 'MySpace']));
    await app.waitFor('Request processor started');
    expect(app.output()).toContain('Host: ' + gw.url);
    expect(app.output()).toMatch(/\[SUCCESS\] Registration successful!/);
    expect(app.output()).toMatch(/Connection ID: worker_\w+/);
    expect(app.output()).toMatch(/Space ID: space_\w+/);
    const status = (await gw.http('GET', '/v1/spaces/MySpace')).body;
    expect(status).toMatchObject({ connected: true, workers: 1, slots: 1 });

    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const prompts = ['the cat and the hat', 'one two three', 'a b a'];
    const jobs = await Promise.all(prompts.map((prompt) => client.submit('MySpace', { prompt })));
    const results = await Promise.all(jobs.map((j) => j.result()));
    expect(results.map((r) => (r.data as { word_count: number }).word_count)).toEqual([5, 3, 3]);
    expect((results[0]!.data as { text_output: string }).text_output).toContain('most frequent: the (2)');
    // Sequential: each started after the previous one finished.
    const times = await Promise.all(jobs.map(async (j) => (await gw.admin('GET', `/v1/jobs/${j.id}`)).body));
    for (let i = 1; i < times.length; i++) expect(Date.parse(times[i].started_at)).toBeGreaterThanOrEqual(Date.parse(times[i - 1].finished_at));
    client.close();
    await app.kill('SIGKILL');
    await until('the space to show no worker', async () => (await gw.http('GET', '/v1/spaces/MySpace')).body.connected === false || undefined);
  });

  it('is refused without a token on a space that requires one, and exits 1', async () => {
    await gw.createSpace({ name: 'Guarded', inputs: ['prompt'] });
    const app = track(runPython(['python/example_websocket_app.py', '--host', gw.url, '--spaces', 'Guarded']));
    expect(await app.exited()).toBe(1);
    expect(app.output()).toMatch(/Registration failed: Space "Guarded" needs a worker token/);
    const withToken = track(runPython(['python/example_websocket_app.py', '--host', gw.url, '--spaces', 'Guarded', '--token', ADMIN_TOKEN]));
    await withToken.waitFor('Registration successful!');
  });
});

/** A python3 with python-socketio (the guide's `pip install python-socketio`; Debian's python3-socketio). */
const SOCKETIO_PYTHON = pythonWith('socketio, websocket');
const runSocketIoPython = (args: string[]) => runPython(args, {}, SOCKETIO_PYTHON ?? 'python3');

describe('the WebSocket Spaces guide’s Python remote app over Socket.IO (python-socketio)', () => {
  it('finds a python3 with python-socketio on this machine', () => {
    expect(SOCKETIO_PYTHON).toBeDefined();
  });

  it('connects with Socket.IO, registers, and answers requests, as the guide shows it', async () => {
    await gw.createSpace({ name: 'SocketSpace', inputs: ['prompt'], open_registration: true });
    const app = track(runSocketIoPython(['python/example_websocket_app.py', '--host', gw.url, '--spaces', 'SocketSpace']));
    await app.waitFor('Request processor started');
    expect(app.output()).toContain('[SUCCESS] Socket.IO connection established');
    expect(app.output()).toContain('[INFO] Sent registration for space: SocketSpace');
    expect(app.output()).toMatch(/Space ID: space_\w+/);
    expect((await gw.http('GET', '/v1/spaces/SocketSpace')).body).toMatchObject({ connected: true });
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const result = await (await client.submit('SocketSpace', { prompt: 'to be or not to be' })).result();
    expect(result.data).toMatchObject({ word_count: 6, text_output: expect.stringContaining('most frequent: to (2)') });
    client.close();
    await app.kill('SIGKILL');
    await until('the space to show no worker', async () => (await gw.http('GET', '/v1/spaces/SocketSpace')).body.connected === false || undefined);
  });

  it('lets a program import WebSocketApp, replace simulate_inference, and call connect()', async () => {
    await gw.createSpace({ name: 'Custom', inputs: ['prompt'], open_registration: true });
    const app = track(runSocketIoPython(['test/fixtures/python/custom_remote_app.py', gw.url, 'Custom']));
    await app.waitFor('Registration successful!');
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const result = await (await client.submit('Custom', { prompt: 'make me loud' })).result();
    expect(result.data).toMatchObject({ text_output: 'MAKE ME LOUD' });
    client.close();
  });
});

describe('python worker SDK (native protocol)', () => {
  let worker: Proc;
  beforeAll(async () => {
    await gw.createSpace({ name: 'py', inputs: ['prompt', 'files'] });
    worker = track(runPython(['python/examples/word_stream_worker.py', '--host', gw.url, '--spaces', 'py', '--token', ADMIN_TOKEN, '--slots', '2']));
    await worker.waitFor(/registered as \S+ with 2 slot\(s\): py \(space_/);
  });

  it('streams tokens and returns files sent as binary frames', async () => {
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('py', {
      prompt: 'hello from node',
      files: [{ name: 'x.bin', mime: 'application/octet-stream', data: Buffer.from([9, 8, 7]) }],
    });
    const tokens: string[] = [];
    for await (const t of job.tokens()) tokens.push(t);
    expect(tokens).toEqual(['hello ', 'from ', 'node ']);
    const { data, files } = await job.result();
    expect(data).toEqual({ words: 3, user: 'admin', files: ['x.bin'] });
    expect([...(await client.download(files[0]!.id)).bytes]).toEqual([7, 8, 9]);
    client.close();
  });

  it('streams live media: partials whose frames the client gets pushed with them', async () => {
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('py', { prompt: 'frames 3', pushFiles: true });
    const partials: Array<{ data: unknown; bytes: number[] }> = [];
    for await (const e of job) if (e.type === 'partial') partials.push({ data: e.data, bytes: [...e.files![0]!.bytes!] });
    expect(partials.map((p) => p.data)).toEqual([{ frame: 0 }, { frame: 1 }, { frame: 2 }]);
    expect(partials.map((p) => p.bytes)).toEqual([0, 1, 2].map((i) => Array(100).fill(i)));
    expect((await job.result()).data).toEqual({ frames: 3 });
    client.close();
  });

  it('stops a job on cancel, fails a job whose handler raises, and retries one that raises RetryableError', async () => {
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const slow = await client.submit('py', { prompt: 'count 500' });
    await new Promise<void>((resolve) => slow.on((e) => e.type === 'token' && resolve()));
    await slow.cancel();
    await expect(slow.result()).rejects.toMatchObject({ code: 'cancelled' });
    await worker.waitFor(`job ${slow.id} cancelled`);
    const failing = await client.submit('py', { prompt: 'fail' });
    await expect(failing.result()).rejects.toMatchObject({ code: 'worker_error', message: 'the python model is on fire' });
    // RetryableError: the job is tried again after the space's backoff, and the second attempt answers.
    const flaky = await client.submit('py', { prompt: 'flaky' });
    const seen: string[] = [];
    flaky.on((e) => seen.push(e.type));
    expect((await flaky.result()).data).toMatchObject({ words: 1 });
    expect(seen).toContain('retry_scheduled');
    client.close();
  });

  it('keeps a running job across a dropped connection: re-attaches, and the stream arrives whole, once, as attempt 1', async () => {
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('py', { prompt: 'count 40' });
    await until('some tokens', () => (job.text.split(' ').length > 5 ? true : undefined));
    const before = (worker.output().match(/registered as/g) ?? []).length;
    for (const p of gw.context.peers.all()) if (p.endpoint === 'worker') p.terminate();
    expect((await job.result()).data).toEqual({ count: 40 });
    expect(job.text).toBe(Array.from({ length: 40 }, (_, i) => `t${i} `).join(''));
    expect((worker.output().match(/registered as/g) ?? []).length).toBeGreaterThan(before);
    expect((await gw.admin('GET', `/v1/jobs/${job.id}`)).body).toMatchObject({ state: 'completed', attempt: 1 });
    client.close();
  });

  /** A Python worker behind a cuttable proxy, and a job of `count N` submitted to it. */
  async function behindProxy(space: string, count: number) {
    await gw.createSpace({ name: space, inputs: ['prompt'] });
    const proxy = await cuttableProxy(gw.port);
    const cutWorker = track(runPython(['python/examples/word_stream_worker.py', '--host', proxy.url, '--spaces', space, '--token', ADMIN_TOKEN]));
    await cutWorker.waitFor(/registered as/);
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit(space, { prompt: `count ${count}` });
    /** The job ended whole, as its first attempt: re-attached, never requeued. */
    const wholeOnce = async () => {
      expect((await job.result()).data).toEqual({ count });
      expect(job.text).toBe(Array.from({ length: count }, (_, i) => `t${i} `).join(''));
      expect((await gw.admin('GET', `/v1/jobs/${job.id}`)).body).toMatchObject({ state: 'completed', attempt: 1 });
      client.close();
      proxy.close();
      await cutWorker.kill('SIGKILL');
    };
    return { proxy, cutWorker, job, wholeOnce };
  }

  it('loses nothing it sent into a connection that had died: after the re-attach it sends again what the gateway lacks, once', async () => {
    const { proxy, job, wholeOnce } = await behindProxy('py-cut', 60);
    await until('some tokens', () => (job.text.split(' ').length > 10 ? true : undefined));
    proxy.blackhole(); // its next tokens go nowhere, as into a dead network path
    await new Promise((resolve) => setTimeout(resolve, 80));
    proxy.cut();
    await wholeOnce();
  });

  it('loses no result written into a connection that had died: a job that ended meanwhile is kept until the gateway has it', async () => {
    const { proxy, cutWorker, job, wholeOnce } = await behindProxy('py-last-words', 12);
    await until('a first token', () => (job.text.length > 0 ? true : undefined));
    proxy.blackhole(); // the rest and the result go nowhere; the job ends on the worker's side
    await cutWorker.waitFor(/job \S+ finished in/);
    proxy.cut();
    await wholeOnce();
  });

  it('reconnects after the gateway drops it, and drains on SIGTERM', async () => {
    for (const p of gw.context.peers.all()) if (p.endpoint === 'worker') p.terminate();
    await until('a second registration', () => (worker.output().match(/registered as/g) ?? []).length >= 2 || undefined, 10_000);
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const job = await client.submit('py', { prompt: 'count 30' });
    await new Promise<void>((resolve) => job.on((e) => e.type === 'token' && resolve()));
    await worker.kill('SIGTERM');
    expect(worker.output()).toContain('draining: finishing 1 running job(s)');
    expect((await job.result()).data).toEqual({ count: 30 });
    client.close();
  });
});

describe('python worker SDK and a revoked token', () => {
  it('stops for good when its worker token is revoked (close 4003), instead of reconnecting with it', async () => {
    await gw.createSpace({ name: 'py-revoked', inputs: ['prompt'] });
    const token = (await gw.admin('POST', '/v1/admin/spaces/py-revoked/worker-tokens', {})).body;
    // The token in the environment, as the admin panel shows it: not on the command line.
    const worker = track(runPython(['python/examples/word_stream_worker.py', '--host', gw.url, '--spaces', 'py-revoked'], { SPACEPORT_TOKEN: token.token }));
    await worker.waitFor(/registered as \S+ with 1 slot\(s\): py-revoked/);
    expect((await gw.admin('DELETE', `/v1/admin/spaces/py-revoked/worker-tokens/${token.id}`)).status).toBe(200);
    expect(await worker.exited()).not.toBe(0);
    expect(worker.output()).toContain('credential revoked (4003)');
    expect(worker.output()).not.toMatch(/reconnecting/);
  });
});
