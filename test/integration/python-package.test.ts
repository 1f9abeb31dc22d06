import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cuttableProxy, type CuttableProxy } from '../helpers/cuttable-proxy.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { pythonWith, runCommand, runPython, type Proc } from '../helpers/processes.ts';
import { sdkWorker } from '../helpers/sdk.ts';

/**
 * The Python package as a user installs it: `pip install ./python` into a fresh virtual
 * environment (no package index needed), then its client and its remote app against a real gateway.
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'spaceport-pip-'));
const venvPython = join(dir, 'venv', 'bin', 'python');
const DRIVER = 'test/fixtures/python/http_client.py';
let gw: TestGateway;
let proxy: CuttableProxy;
const procs: Proc[] = [];
const track = (p: Proc) => (procs.push(p), p);
const lines = (p: Proc) =>
  p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  const python = pythonWith('venv, ensurepip');
  if (!python) throw new Error('no python3 with venv and ensurepip here (Debian: python3-venv)');
  await run(python, ['-m', 'venv', join(dir, 'venv')]);
  await run(venvPython, ['-m', 'pip', 'install', '--no-index', '--quiet', join(ROOT, 'python')], { cwd: dir });
  gw = await testGateway();
  proxy = await cuttableProxy(gw.port);
  await gw.createSpace({ name: 'py-client', inputs: ['prompt'] });
  track(await sdkWorker(gw.url, 'py-client', ADMIN_TOKEN, 2));
}, 120_000);
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  proxy?.close();
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pip install ./python', () => {
  it('installs the package with its remote app command, without a package index', async () => {
    const { stdout } = await run(join(dir, 'venv', 'bin', 'spaceport-remote-app'), ['--help']);
    expect(stdout).toContain('--spaces');
    const { stdout: where } = await run(venvPython, ['-c', 'import spaceport; print(spaceport.__file__)'], { cwd: dir });
    expect(where.trim()).toBe(join(dir, 'venv', 'lib', where.trim().split('/lib/')[1]!.split('/')[0]!, 'site-packages', 'spaceport', '__init__.py'));
  });

  it('installs spaceport-worker, whose default handler serves a job as the admin page prints it', async () => {
    await gw.createSpace({ name: 'py-cli', inputs: ['prompt'] });
    const worker = track(runCommand(join(dir, 'venv', 'bin', 'spaceport-worker'), ['--host', gw.url, '--spaces', 'py-cli'], { SPACEPORT_TOKEN: ADMIN_TOKEN, PYTHONUNBUFFERED: '1' }));
    await worker.waitFor('registered');
    const reply = await gw.http('POST', '/v1/jobs', { space: 'py-cli', prompt: 'three small words' });
    const done = await until('the echo', async () => {
      const job = (await gw.http('GET', `/v1/jobs/${reply.body.job}`)).body;
      return job.state === 'completed' ? job : undefined;
    });
    expect(done.result.data).toEqual({ text: 'three small words', files: [] });
  });

  it('the installed remote app registers into a space and answers requests', async () => {
    await gw.createSpace({ name: 'PipApp', inputs: ['prompt'], open_registration: true });
    const command = join(dir, 'venv', 'bin', 'spaceport-remote-app');
    const app = track(runCommand(command, ['--host', gw.url, '--spaces', 'PipApp', '--transport', 'websocket'], { PYTHONUNBUFFERED: '1' }));
    await app.waitFor('Registration successful!');
    const reply = await gw.http('POST', '/v1/jobs', { space: 'PipApp', prompt: 'two words' });
    expect(reply.status).toBe(202);
    const done = await until('the remote app to answer', async () => {
      const job = (await gw.http('GET', `/v1/jobs/${reply.body.job}`)).body;
      return job.state === 'completed' ? job : undefined;
    });
    expect(done.result).toBeTruthy();
  });
});

describe('the Python client (spaceport.Client)', () => {
  it('submits and streams every event in order to the result, across two cut connections, each event once', async () => {
    const client = track(runPython([DRIVER, proxy.url, ADMIN_TOKEN, 'stream', 'py-client', 'count 12 60'], {}, venvPython));
    for (const after of [3, 7]) {
      await until(`token t${after}`, () => lines(client).some((e) => e.type === 'token' && e.text === `t${after} `) || undefined);
      expect(proxy.cut()).toBeGreaterThan(0);
    }
    expect(await client.exited()).toBe(0);
    const out = lines(client);
    expect(out[0]!.package).toContain(join(dir, 'venv'));
    const events = out.filter((e) => typeof e.type === 'string');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === 'token').map((e) => e.text)).toEqual(Array.from({ length: 12 }, (_, i) => `t${i} `));
    expect(out.at(-1)).toEqual({ result: { data: { count: 12 }, files: [] } });
  });

  it('picks a stream up after a given event id', async () => {
    const first = track(runPython([DRIVER, gw.url, ADMIN_TOKEN, 'stream', 'py-client', 'count 4 5'], {}, venvPython));
    expect(await first.exited()).toBe(0);
    const events = lines(first).filter((e) => typeof e.type === 'string');
    const job = lines(first)[1]!.job as string;
    const later = track(runPython([DRIVER, gw.url, ADMIN_TOKEN, 'after', job, events[2]!._id as string], {}, venvPython));
    expect(await later.exited()).toBe(0);
    expect(lines(later).filter((e) => typeof e.type === 'string')).toEqual(events.slice(3));
  });

  it('cancels a running job: the stream ends with cancelled and result() raises it', async () => {
    const client = track(runPython([DRIVER, gw.url, ADMIN_TOKEN, 'cancel', 'py-client'], {}, venvPython));
    expect(await client.exited()).toBe(0);
    const out = lines(client);
    expect(out.filter((e) => typeof e.type === 'string').at(-1)).toMatchObject({ type: 'cancelled' });
    expect(out.at(-1)).toEqual({ error: 'cancelled', state: 'cancelled' });
  });

  it('submits with an idempotency key: the same key twice is one job', async () => {
    const client = track(runPython([DRIVER, gw.url, ADMIN_TOKEN, 'twice', 'py-client', `py-key-${Date.now()}`], {}, venvPython));
    expect(await client.exited()).toBe(0);
    const { jobs } = lines(client).at(-1) as { jobs: string[] };
    expect(jobs).toHaveLength(2);
    expect(jobs[0]).toBe(jobs[1]);
  });

  it('raises the gateway’s error code for a refused submit', async () => {
    const client = track(runPython([DRIVER, gw.url, ADMIN_TOKEN, 'refused', 'no-such-space'], {}, venvPython));
    expect(await client.exited()).toBe(0);
    expect(lines(client).at(-1)).toMatchObject({ error: 'space_not_found', status: 404 });
  });
});
