import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTs, tokenWorker, type Proc } from '../helpers/processes.ts';

const TOKEN = 'restart-admin-token';
const dataDir = mkdtempSync(join(tmpdir(), 'spaceport-restart-'));
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** `spaceport serve` as a real process on a free port; returns its URL from the listening line. */
async function serve(): Promise<{ proc: Proc; url: string }> {
  const proc = runTs('src/cli/main.ts', ['serve', '--port', '0', '--host', '127.0.0.1', '--data', dataDir], {
    SPACEPORT_ADMIN_TOKEN: TOKEN,
    LOG_LEVEL: 'warn',
    SPACEPORT_LEASE_MS: '1500',
    SPACEPORT_HEARTBEAT_MS: '300',
    SPACEPORT_SWEEP_MS: '100',
  });
  procs.push(proc);
  const line = await proc.waitFor(/\{"event":"listening"[^\n]*\}/);
  return { proc, url: JSON.parse(line).url };
}

const api = (url: string, method: string, path: string, body?: unknown) =>
  fetch(url + path, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

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

