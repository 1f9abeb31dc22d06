import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { positionStep } from '../../src/core/position-steps.ts';

/** Honest queue positions and ETAs, pushed as the queue moves (core/queue-monitor.ts, core/eta.ts). */
let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'line', inputs: ['prompt'] });
});
afterAll(() => gw.stop());

describe('queue positions and ETAs', () => {
  it('tells each waiting job its place as the ones ahead leave, each place once, with an ETA once a run was timed', async () => {
    const worker = await gw.worker(['line'], 1);
    const client = await gw.client();
    const ids: string[] = [];
    for (const n of [0, 1, 2, 3]) {
      client.send({ type: 'submit', id: `s${n}`, space: 'line', prompt: `p${n}` });
      ids.push((await client.wait(`accepted ${n}`, (m) => m.type === 'accepted' && m.id === `s${n}`)).job);
    }
    // The first went to the worker at once; the others queue behind it at 0, 1, 2.
    expect(client.of('accepted').map((m) => m.position)).toEqual([0, 0, 1, 2]);
    expect(client.of('accepted')[1]!.eta_ms).toBeNull(); // no run timed yet: unknown, not invented
    for (let n = 0; n < 4; n++) {
      const job = await worker.next(`job ${n}`, (m) => m.type === 'job');
      expect(job.job).toBe(ids[n]); // first in, first out
      // Each job still waiting is told its new place before this one ends (updates are coalesced
      // over statusIntervalMs, so a queue that moves faster skips places; this one waits for them).
      for (let m = n + 1; m < 4; m++) {
        await client.wait(`job ${m} at place ${m - n - 1}`, (q) => (q.type === 'queued' || q.type === 'position') && q.job === ids[m] && q.position === m - n - 1);
      }
      worker.send({ type: 'started', job: job.job });
      worker.send({ type: 'result', job: job.job, data: n });
      await client.wait(`result ${n}`, (m) => m.type === 'result' && m.job === ids[n]);
    }
    const told = (id: string) => client.messages.filter((m) => (m.type === 'queued' || m.type === 'position') && m.job === id);
    // The last job was told 2, then 1, then 0: each place once, in order, never a step back.
    expect(told(ids[3]!).map((m) => m.position)).toEqual([2, 1, 0]);
    expect(told(ids[2]!).map((m) => m.position)).toEqual([1, 0]);
    // Once the first run was timed, the places after it come with an ETA.
    expect(told(ids[3]!).at(-1)!.eta_ms).toEqual(expect.any(Number));
    worker.close();
    client.close();
  });

  it('tells a job far back only when its first two digits change, and nobody ahead of a cancel', async () => {
    await gw.createSpace({ name: 'long', inputs: ['prompt'] });
    const client = await gw.client(ADMIN_TOKEN); // not held to a caller's 100 unfinished jobs
    const n = 300;
    for (let i = 0; i < n; i++) client.send({ type: 'submit', id: `l${i}`, space: 'long', prompt: 'x' });
    await until('all accepted', () => client.of('accepted').length === n || undefined);
    const ids = Array.from({ length: n }, (_, i) => client.of('accepted').find((m) => m.id === `l${i}`)!.job as string);
    expect(client.of('accepted').map((m) => m.position)).toEqual(ids.map((_, i) => i));
    // 20 jobs done one at a time; the 21st is held by the worker, which answers no more.
    const worker = await gw.worker(['long'], 1);
    for (let k = 0; k < 20; k++) {
      const job = await worker.next(`job ${k}`, (m) => m.type === 'job');
      worker.send({ type: 'result', job: job.job, data: k });
    }
    await worker.next('job 20', (m) => m.type === 'job' && m.job === ids[20]);
    const lastTold = (id: string) => client.messages.filter((m) => (m.type === 'position' || m.type === 'accepted') && m.job === id).at(-1)!.position as number;
    const settled = (gone: (i: number) => number) => ids.every((id, i) => i <= 20 || gone(i) < 0 || positionStep(lastTold(id)) === positionStep(gone(i))) || undefined;
    await until('every job told its step', () => settled((i) => i - 21));
    const queued = (id: string) => client.messages.filter((m) => (m.type === 'queued' || m.type === 'position') && m.job === id);
    // Near the head, its place as of each refresh (coalesced: a fast queue skips places), down to
    // the true one; far back, only the steps crossed (280 → 259: 270, 260, 250), after the first event.
    const near = queued(ids[50]!).map((m) => m.position as number);
    expect(near[0]).toBe(50);
    expect(near.at(-1)).toBe(29);
    expect(near.every((p, k) => k === 0 || p < near[k - 1]!)).toBe(true);
    expect(queued(ids[280]!).length).toBeLessThanOrEqual(1 + 3);
    expect(queued(ids[150]!).length).toBeLessThanOrEqual(1 + 3);
    expect(client.of('position').length).toBeLessThan(100 * 21 + 30 * 3);
    // A cancel at 229 (job 250) moves only those behind it.
    const before = client.messages.length;
    client.send({ type: 'cancel', id: 'c', job: ids[250]! });
    await client.wait('cancelled', (m) => m.type === 'cancelled' && m.job === ids[250]);
    await until('the jobs behind told', () => settled((i) => (i === 250 ? -1 : i - 21 - (i > 250 ? 1 : 0))));
    await new Promise((resolve) => setTimeout(resolve, 200)); // ten refresh intervals, for anything late
    const after = client.messages.slice(before).filter((m) => m.type === 'position');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((m) => ids.indexOf(m.job) > 250)).toBe(true);
    // Position updates are not in the log: a subscriber gets the replay (its place at submit), then where it is now.
    const watcher = await gw.client(ADMIN_TOKEN);
    watcher.send({ type: 'subscribe', id: 'w', topic: `job:${ids[280]}` });
    const now = await watcher.wait('its place now', (m) => m.type === 'position' && m.job === ids[280]);
    expect(now).toEqual({ type: 'position', job: ids[280], position: 280 - 22, eta_ms: expect.any(Number) }); // 20 runs were timed
    expect(watcher.messages.filter((m) => m.job === ids[280]).map((m) => m.type)).toEqual(['queued', 'position']);
    expect(watcher.messages.find((m) => m.type === 'queued')).toMatchObject({ seq: 1, position: 280 });
    // And so does a reader of its Server-Sent Events, the update without an id (a reconnect resumes after seq 1).
    const sse = await fetch(`${gw.url}/v1/jobs/${ids[280]}/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const reader = sse.body!.getReader();
    let text = '';
    while (!text.includes('event: position')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain(`id: 1\nevent: queued\n`);
    expect(text).toMatch(new RegExp(`\n\nevent: position\ndata: \\{"type":"position","job":"${ids[280]}","position":258,`));
    watcher.close();
    worker.close();
    client.close();
  });
});
