import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'echo', inputs: ['prompt'] });
});
afterAll(() => gw.stop());

describe('a job end to end', () => {
  it('streams queued → started → tokens → result over WebSocket, numbered by seq', async () => {
    const worker = await gw.worker(['echo']);
    expect(worker.messages[0]).toMatchObject({ type: 'registered', slots: 1, spaces: [{ name: 'echo' }] });
    const client = await gw.client();
    client.send({ type: 'submit', id: 'r1', space: 'echo', prompt: 'hello world' });
    const accepted = await client.wait('accepted', (m) => m.type === 'accepted');
    expect(accepted).toMatchObject({ id: 'r1', space: 'echo', position: 0 });

    const job = await worker.next('job', (m) => m.type === 'job');
    expect(job).toMatchObject({ job: accepted.job, space: 'echo', attempt: 1, prompt: 'hello world', user: 'anonymous' });
    worker.send({ type: 'started', job: job.job });
    for (const word of ['hello', ' ', 'world']) worker.send({ type: 'token', job: job.job, text: word });
    worker.send({ type: 'progress', job: job.job, progress: 1, message: 'done' });
    worker.send({ type: 'result', job: job.job, data: { text: 'hello world' } });

    const result = await client.wait('result', (m) => m.type === 'result');
    expect(result.data).toEqual({ text: 'hello world' });
    const events = client.messages.filter((m) => m.job === accepted.job && typeof m.seq === 'number');
    expect(events.map((e) => e.type)).toEqual(['queued', 'started', 'token', 'token', 'token', 'progress', 'result']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(
      events
        .filter((e) => e.type === 'token')
        .map((e) => e.text)
        .join(''),
    ).toBe('hello world');

    const state = await gw.http('GET', `/v1/jobs/${accepted.job}`);
    expect(state.body).toMatchObject({ state: 'completed', attempt: 1, result: { data: { text: 'hello world' } } });
    client.close();
    worker.close();
  });

  it('works over HTTP: POST /v1/jobs then Server-Sent Events, with Last-Event-ID resume', async () => {
    const worker = await gw.worker(['echo']);
    const submitted = await gw.http('POST', '/v1/jobs', { space: 'echo', prompt: 'sse' });
    expect(submitted.status).toBe(202);
    const jobId = submitted.body.job;
    const job = await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'started', job: jobId });
    worker.send({ type: 'token', job: jobId, text: 'a' });
    worker.send({ type: 'token', job: jobId, text: 'b' });
    worker.send({ type: 'result', job: job.job, data: 'ab' });
    await until('completed', async () => true);

    const full = await fetch(`${gw.url}/v1/jobs/${jobId}/events`);
    expect(full.headers.get('content-type')).toContain('text/event-stream');
    const text = await full.text(); // the stream ends after the final event
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([1, 2, 3, 4, 5]);
    expect(text).toContain('event: result');

    const resumed = await (await fetch(`${gw.url}/v1/jobs/${jobId}/events`, { headers: { 'last-event-id': '3' } })).text();
    expect([...resumed.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([4, 5]);
    worker.close();
  });

  it('delivers a cancel to the worker holding the job, and discards what it sends after', async () => {
    const worker = await gw.worker(['echo']);
    const client = await gw.client();
    client.send({ type: 'submit', id: 'c1', space: 'echo', prompt: 'long' });
    const accepted = await client.wait('accepted', (m) => m.type === 'accepted');
    await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'started', job: accepted.job });
    await client.wait('started', (m) => m.type === 'started');
    client.send({ type: 'cancel', id: 'x', job: accepted.job });
    await client.wait('cancel ack', (m) => m.type === 'ack' && m.of === 'cancel');
    const cancel = await worker.next('cancel', (m) => m.type === 'cancel');
    expect(cancel).toMatchObject({ job: accepted.job, reason: 'cancelled' });
    await client.wait('cancelled event', (m) => m.type === 'cancelled' && m.job === accepted.job);
    worker.send({ type: 'token', job: accepted.job, text: 'late' });
    worker.send({ type: 'cancelled', job: accepted.job });
    // The slot is free again: a new job reaches the same worker.
    client.send({ type: 'submit', id: 'c2', space: 'echo', prompt: 'next' });
    await worker.next('next job', (m) => m.type === 'job');
    expect(client.of('token', accepted.job)).toHaveLength(0);
    expect((await gw.http('GET', `/v1/jobs/${accepted.job}`)).body.state).toBe('cancelled');
    client.close();
    worker.close();
  });

  it('keeps a job queued while no worker is connected, then times it out', async () => {
    await gw.createSpace({ name: 'lonely', inputs: ['prompt'], timeout_s: 1 });
    const client = await gw.client();
    const status = await gw.http('GET', '/v1/spaces/lonely');
    expect(status.body).toMatchObject({ connected: false, workers: 0 });
    client.send({ type: 'submit', space: 'lonely', prompt: 'anyone?' });
    const accepted = await client.wait('accepted', (m) => m.type === 'accepted');
    const ended = await client.wait('timed_out', (m) => m.type === 'timed_out', 5000);
    expect(ended.job).toBe(accepted.job);
    expect((await gw.http('GET', `/v1/jobs/${accepted.job}`)).body).toMatchObject({ state: 'timed_out', error: { code: 'timed_out' } });
    client.close();
  });

  it('refuses a submit to a full queue with queue_full', async () => {
    await gw.createSpace({ name: 'tiny', inputs: ['prompt'], max_queue: 2 });
    const client = await gw.client();
    for (const id of ['q1', 'q2', 'q3']) client.send({ type: 'submit', id, space: 'tiny', prompt: id });
    const refused = await client.wait('queue_full', (m) => m.type === 'error' && m.id === 'q3');
    expect(refused.code).toBe('queue_full');
    expect(client.of('accepted')).toHaveLength(2);
    const http = await gw.http('POST', '/v1/jobs', { space: 'tiny', prompt: 'again' });
    expect(http.status).toBe(503);
    expect(http.body.error.code).toBe('queue_full');
    client.close();
  });
});
