import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/sdk/worker/serve.ts';
import { cuttableProxy } from '../helpers/cuttable-proxy.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

/** A worker whose connection drops keeps its running jobs when it comes back in time (issue #24). */
let gw: TestGateway;
beforeAll(async () => {
  // A second to come back in: the worker's socket is cut for less than that.
  gw = await testGateway({ core: { reattachGraceMs: 1000 } });
  await gw.createSpace({ name: 'steady', inputs: ['prompt'] });
});
afterAll(() => gw.stop());

const cutWorkers = () => {
  for (const p of gw.context.peers.all()) if (p.endpoint === 'worker') p.terminate();
};

/** A worker (by hand, on the protocol) holding a job a client submitted: the worker's id, the job. */
async function runningJob(prompt: string) {
  const worker = await gw.worker(['steady']);
  const previous = worker.of('registered')[0]!.worker as string;
  const client = await gw.client(ADMIN_TOKEN);
  client.send({ type: 'submit', space: 'steady', prompt });
  const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
  await worker.next('job', (m) => m.type === 'job' && m.job === job);
  return { worker, previous, client, job: job as string };
}

describe('a worker re-attaching to its running jobs', () => {
  it('keeps the job: the same attempt, its numbers going on, no requeue (the protocol, by hand)', async () => {
    const { worker, previous, client, job } = await runningJob('long');
    worker.send({ type: 'started', job });
    worker.send({ type: 'token', job, text: 'before ' });
    await client.wait('first token', (m) => m.type === 'token' && m.job === job);
    worker.ws.terminate(); // the network drops it
    const back = await WsPeer.open(`${gw.ws}/v1/worker`);
    back.send({ type: 'register', token: ADMIN_TOKEN, spaces: ['steady'], slots: 1, reattach: { worker: previous, jobs: [{ job, attempt: 1 }] } });
    expect(await back.wait('registered', (m) => m.type === 'registered')).toMatchObject({ reattached: [job] });
    back.send({ type: 'token', job, text: 'after' });
    back.send({ type: 'result', job, data: 'done' });
    await client.wait('result', (m) => m.type === 'result' && m.job === job);
    const seen = client.messages.filter((m) => m.job === job && m.seq);
    expect(seen.map((m) => m.type)).toEqual(['queued', 'started', 'token', 'token', 'result']);
    expect(seen.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await gw.admin('GET', `/v1/jobs/${job}`)).body).toMatchObject({ state: 'completed', attempt: 1 });
    client.close();
    back.close();
  });

  it('says how many numbered messages it has; a message sent again is taken once; one past a gap requeues the attempt', async () => {
    const { worker, previous, client, job } = await runningJob('numbered');
    worker.send({ type: 'started', job, n: 1 });
    worker.send({ type: 'token', job, text: 'a', n: 2 });
    worker.send({ type: 'token', job, text: 'a', n: 2 }); // the same again: skipped
    await client.wait('first token', (m) => m.type === 'token' && m.job === job);
    worker.ws.terminate(); // say "b" (n 3) was written into it and never arrived
    const back = await WsPeer.open(`${gw.ws}/v1/worker`);
    back.send({ type: 'register', token: ADMIN_TOKEN, spaces: ['steady'], slots: 1, reattach: { worker: previous, jobs: [{ job, attempt: 1 }] } });
    expect(await back.wait('registered', (m) => m.type === 'registered')).toMatchObject({ reattached: [job], received: { [job]: 2 } });
    back.send({ type: 'token', job, text: 'a', n: 2 }); // the worker sends from what it cannot know arrived
    back.send({ type: 'token', job, text: 'b', n: 3 });
    back.send({ type: 'token', job, text: 'c', n: 4 });
    await client.wait('c', (m) => m.type === 'token' && m.job === job && m.text === 'c');
    expect(client.messages.filter((m) => m.job === job && m.type === 'token').map((m) => m.text)).toEqual(['a', 'b', 'c']);
    // A worker that lost n 5 (too old to keep) and goes on at 6: the attempt cannot be whole; it starts again.
    back.send({ type: 'token', job, text: 'f', n: 6 });
    await back.wait('cancel', (m) => m.type === 'cancel' && m.job === job);
    await client.wait('requeued', (m) => m.type === 'queued' && m.job === job && m.attempt === 1 && m.epoch === 2);
    expect(client.messages.filter((m) => m.job === job && m.type === 'token').map((m) => m.text)).toEqual(['a', 'b', 'c']);
    back.send({ type: 'cancelled', job });
    client.send({ type: 'cancel', job });
    await client.wait('cancelled', (m) => m.type === 'cancelled' && m.job === job);
    client.close();
    back.close();
  });

  it('requeues the job once the grace has passed, and tells a late worker it is not its own any more', async () => {
    const { worker, previous, client, job } = await runningJob('abandoned');
    worker.ws.terminate();
    await client.wait('requeued', (m) => m.type === 'queued' && m.job === job && m.attempt === 1);
    const late = await WsPeer.open(`${gw.ws}/v1/worker`);
    late.send({ type: 'register', token: ADMIN_TOKEN, spaces: ['steady'], slots: 1, reattach: { worker: previous, jobs: [{ job, attempt: 1 }] } });
    expect(await late.wait('registered', (m) => m.type === 'registered')).toMatchObject({ reattached: [] });
    // It gets the job again, as a new attempt like any worker would.
    expect(await late.wait('job again', (m) => m.type === 'job' && m.job === job)).toMatchObject({ attempt: 2 });
    late.send({ type: 'result', job, data: 'second try' });
    await client.wait('result', (m) => m.type === 'result' && m.job === job);
    client.close();
    late.close();
  });

  it('the TS worker SDK re-attaches on its own: a stream cut mid-job arrives whole and once, as attempt 1', async () => {
    const worker = serve({ host: gw.url, spaces: ['steady'], token: ADMIN_TOKEN, name: 'sdk-reattach' }, async (_job, ctx) => {
      for (let i = 0; i < 30; i++) {
        ctx.token(`t${i} `);
        await new Promise((r) => setTimeout(r, 10));
      }
      return 'whole';
    });
    await worker.ready;
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', space: 'steady', prompt: 'stream' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await client.wait('some tokens', (m) => m.type === 'token' && m.job === job && m.text === 't5 ');
    cutWorkers();
    await client.wait('result', (m) => m.type === 'result' && m.job === job, 10_000);
    const tokens = client.messages.filter((m) => m.job === job && m.type === 'token').map((m) => m.text);
    expect(tokens).toEqual(Array.from({ length: 30 }, (_, i) => `t${i} `));
    expect(client.messages.filter((m) => m.job === job && m.type === 'queued')).toHaveLength(1); // never requeued
    expect((await gw.admin('GET', `/v1/jobs/${job}`)).body).toMatchObject({ state: 'completed', attempt: 1, result: { data: 'whole' } });
    await until('the worker back', async () => (await gw.http('GET', '/v1/spaces/steady')).body.connected || undefined);
    worker.close();
    client.close();
  });

  it('the TS worker SDK, holding a job, keeps trying often while the gateway is down, and gets it back', async () => {
    // A gateway that keeps a cut worker's jobs 3 s, with a 3 s lease: the SDK retries at least every 300 ms meanwhile.
    const patient = await testGateway({ core: { leaseMs: 3000, reattachGraceMs: 3000 } });
    await patient.createSpace({ name: 'patient', inputs: ['prompt'] });
    const port = Number(new URL(patient.url).port);
    const proxy = await cuttableProxy(port);
    const worker = serve({ host: proxy.url, spaces: ['patient'], token: ADMIN_TOKEN, name: 'sdk-persistent' }, async (_job, ctx) => {
      for (let i = 0; i < 60; i++) {
        ctx.token(`t${i} `);
        await new Promise((r) => setTimeout(r, 40));
      }
      return 'whole';
    });
    try {
      await worker.ready;
      const client = await patient.client(ADMIN_TOKEN);
      client.send({ type: 'submit', space: 'patient', prompt: 'stream' });
      const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
      await client.wait('some tokens', (m) => m.type === 'token' && m.job === job && m.text === 't5 ');
      await proxy.refuseFor(1200);
      // Doubling from 250 ms would try twice in 1.2 s (the third try comes after 1.4 s at the soonest).
      expect(proxy.refused()).toBeGreaterThanOrEqual(3);
      await client.wait('result', (m) => m.type === 'result' && m.job === job, 10_000);
      const tokens = client.messages.filter((m) => m.job === job && m.type === 'token').map((m) => m.text);
      expect(tokens).toEqual(Array.from({ length: 60 }, (_, i) => `t${i} `));
      expect((await patient.admin('GET', `/v1/jobs/${job}`)).body).toMatchObject({ state: 'completed', attempt: 1 });
      client.close();
    } finally {
      worker.close();
      proxy.close();
      await patient.stop();
    }
  });
});
