import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway({ maxEventsPerJob: 50 });
  await gw.createSpace({ name: 'stream', inputs: ['prompt'] });
});
afterAll(() => gw.stop());

describe('reconnect and resume', () => {
  it('replays every token missed while disconnected exactly once, in order, then continues live', async () => {
    const worker = await gw.worker(['stream']);
    const first = await gw.client();
    first.send({ type: 'submit', space: 'stream', prompt: 'count' });
    const accepted = await first.wait('accepted', (m) => m.type === 'accepted');
    const job = accepted.job;
    await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'started', job });
    for (let i = 0; i < 10; i++) worker.send({ type: 'token', job, text: `t${i} ` });
    await first.wait('token 9', (m) => m.type === 'token' && m.text === 't9 ');
    first.ws.terminate(); // the connection drops mid-stream
    const lastSeen = Math.max(...first.messages.filter((m) => m.job === job && m.seq).map((m) => m.seq));

    for (let i = 10; i < 20; i++) worker.send({ type: 'token', job, text: `t${i} ` });
    const second = await gw.client();
    second.send({ type: 'resume', id: 'again', job, after_seq: lastSeen });
    await second.wait('token 19', (m) => m.type === 'token' && m.text === 't19 ');
    for (let i = 20; i < 25; i++) worker.send({ type: 'token', job, text: `t${i} ` });
    worker.send({ type: 'result', job, data: 'done' });
    await second.wait('result', (m) => m.type === 'result');

    const before = first.of('token', job).map((m) => m.text);
    const after = second.of('token', job).map((m) => m.text);
    expect([...before, ...after]).toEqual(Array.from({ length: 25 }, (_, i) => `t${i} `));
    const seqs = second.messages.filter((m) => m.job === job && m.seq).map((m) => m.seq);
    expect(seqs[0]).toBe(lastSeen + 1);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => lastSeen + 1 + i));
    expect(second.of('error')).toHaveLength(0);
    worker.close();
    second.close();
  });

  it('says so explicitly when the events to resume from are no longer kept', async () => {
    const { worker, client, job } = await gw.heldJob('stream', 'long');
    for (let i = 0; i < 120; i++) worker.send({ type: 'token', job, text: `${i}` });
    worker.send({ type: 'result', job, data: null });
    await client.wait('result', (m) => m.type === 'result');
    const late = await gw.client();
    late.send({ type: 'resume', job, after_seq: 3 });
    const gap = await late.wait('resume_gap', (m) => m.type === 'error' && m.code === 'resume_gap');
    expect(gap.first_seq).toBeGreaterThan(4);
    await late.wait('result after the gap notice', (m) => m.type === 'result');
    const firstReplayed = late.messages.find((m) => m.job === job && m.seq);
    expect(firstReplayed!.seq).toBe(gap.first_seq);
    worker.close();
    client.close();
    late.close();
  });

  it('lets a late subscriber replay a finished job from the start', async () => {
    const worker = await gw.worker(['stream']);
    const res = await gw.http('POST', '/v1/jobs', { space: 'stream', prompt: 'x' });
    const job = res.body.job;
    await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'token', job, text: 'only' });
    worker.send({ type: 'result', job, data: 'only' });
    await until('completed', async () => true);
    const client = await gw.client();
    client.send({ type: 'subscribe', topic: `job:${job}` });
    await client.wait('result', (m) => m.type === 'result' && m.job === job);
    expect(client.messages.filter((m) => m.job === job && m.seq).map((m) => m.type)).toEqual(['queued', 'token', 'result']);
    worker.close();
    client.close();
  });

  it('says recovered: false to a resume from another epoch (the job was requeued), and replays the new attempt from its start', async () => {
    const first = await gw.worker(['stream']);
    const client = await gw.client();
    client.send({ type: 'submit', space: 'stream', prompt: 'twice' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await first.next('job', (m) => m.type === 'job' && m.job === job);
    first.send({ type: 'started', job });
    for (let i = 0; i < 3; i++) first.send({ type: 'token', job, text: `a${i}` });
    await client.wait('a2', (m) => m.type === 'token' && m.text === 'a2');
    const seen = Math.max(...client.messages.filter((m) => m.job === job && m.seq).map((m) => m.seq)); // 5: queued, started, 3 tokens
    client.ws.terminate();
    first.close(); // the worker is lost: the job is requeued, a new epoch begins at that event
    const second = await gw.worker(['stream']);
    await second.next('job again', (m) => m.type === 'job' && m.job === job);
    second.send({ type: 'started', job });
    for (let i = 0; i < 3; i++) second.send({ type: 'token', job, text: `b${i}` });

    // A client that still has epoch 1's numbers: told they no longer hold, then the new attempt.
    const stale = await gw.client();
    stale.send({ type: 'resume', id: 'r', job, after_seq: seen, epoch: 1 });
    const ack = await stale.wait('ack', (m) => m.type === 'ack' && m.id === 'r');
    expect(ack).toMatchObject({ of: 'resume', recovered: false, epoch: 2 });
    await stale.wait('b2', (m) => m.type === 'token' && m.text === 'b2');
    const replayed = stale.messages.filter((m) => m.job === job && m.seq);
    expect(replayed[0]).toMatchObject({ type: 'queued', attempt: 1, epoch: 2, seq: seen + 1 });
    expect(replayed.filter((m) => m.type === 'token').map((m) => m.text)).toEqual(['b0', 'b1', 'b2']);

    // One that follows epoch 2 continues exactly.
    const current = await gw.client();
    current.send({ type: 'resume', id: 'r2', job, after_seq: seen + 2, epoch: 2 });
    expect(await current.wait('ack', (m) => m.type === 'ack' && m.id === 'r2')).toMatchObject({ recovered: true, epoch: 2 });
    await current.wait('b2', (m) => m.type === 'token' && m.text === 'b2');
    expect(current.messages.filter((m) => m.job === job && m.seq).map((m) => m.seq)[0]).toBe(seen + 3);

    // Over Server-Sent Events the ids carry the epoch once it is past 1, and a stale one is told.
    const sse = await fetch(`${gw.url}/v1/jobs/${job}/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'last-event-id': String(seen) } });
    second.send({ type: 'result', job, data: 'done' });
    const text = await sse.text();
    expect(text).toMatch(/^event: resume\ndata: \{"type":"resume","job":"[^"]+","recovered":false,"epoch":2\}$/m);
    expect(text).toContain(`id: ${seen + 1}.2\nevent: queued`);
    for (const c of [stale, current]) c.close();
    second.close();
  });
});
