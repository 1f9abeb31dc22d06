import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';

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
        await client.wait(`job ${m} at place ${m - n - 1}`, (q) => q.type === 'queued' && q.job === ids[m] && q.position === m - n - 1);
      }
      worker.send({ type: 'started', job: job.job });
      worker.send({ type: 'result', job: job.job, data: n });
      await client.wait(`result ${n}`, (m) => m.type === 'result' && m.job === ids[n]);
    }
    const told = (id: string) => client.messages.filter((m) => m.type === 'queued' && m.job === id);
    // The last job was told 2, then 1, then 0: each place once, in order, never a step back.
    expect(told(ids[3]!).map((m) => m.position)).toEqual([2, 1, 0]);
    expect(told(ids[2]!).map((m) => m.position)).toEqual([1, 0]);
    // Once the first run was timed, the places after it come with an ETA.
    expect(told(ids[3]!).at(-1)!.eta_ms).toEqual(expect.any(Number));
    worker.close();
    client.close();
  });
});
