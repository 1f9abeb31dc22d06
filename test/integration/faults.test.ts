import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { tokenWorker } from '../helpers/processes.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway();
});
afterAll(() => gw.stop());

describe('slots and lost workers', () => {
  it('never puts two jobs in one slot: 2 workers × 2 slots, 10 jobs, all complete', async () => {
    await gw.createSpace({ name: 'pool', inputs: ['prompt'] });
    const workers = [await gw.worker(['pool'], 2), await gw.worker(['pool'], 2)];
    // Track what each worker holds at every moment; it must never exceed its slots.
    const peak = [0, 0];
    const running = [new Set<string>(), new Set<string>()];
    workers.forEach((w, i) => {
      w.ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString());
        if (msg.type !== 'job') return;
        running[i]!.add(msg.job);
        peak[i] = Math.max(peak[i]!, running[i]!.size);
        w.send({ type: 'started', job: msg.job });
        setTimeout(
          () => {
            running[i]!.delete(msg.job);
            w.send({ type: 'result', job: msg.job, data: { by: i } });
          },
          40 + Math.random() * 40,
        );
      });
    });
    const client = await gw.client();
    for (let i = 0; i < 10; i++) client.send({ type: 'submit', id: i, space: 'pool', prompt: String(i) });
    await until('10 results', () => client.of('result').length === 10 || undefined, 15_000);
    expect(peak[0]).toBeLessThanOrEqual(2);
    expect(peak[1]).toBeLessThanOrEqual(2);
    // Both workers were used, each up to its 2 slots.
    const by = client.of('result').map((r) => r.data.by);
    expect(new Set(by).size).toBe(2);
    expect(Math.max(...peak)).toBe(2);
    client.close();
    workers.forEach((w) => w.close());
  });

  it('requeues the job of a killed worker process; another worker finishes it; exactly one result', async () => {
    await gw.createSpace({ name: 'crashy', inputs: ['prompt'] });
    const doomed = tokenWorker(gw.ws, 'crashy', ADMIN_TOKEN, { tokens: 50, delay: 40, name: 'doomed' });
    await doomed.waitFor('registered');
    const client = await gw.client();
    client.send({ type: 'submit', space: 'crashy', prompt: 'survive' });
    const accepted = await client.wait('accepted', (m) => m.type === 'accepted');
    await client.wait('a token from the doomed worker', (m) => m.type === 'token' && m.text.startsWith('doomed'));
    await doomed.kill('SIGKILL');

    const requeued = await client.wait('requeued', (m) => m.type === 'queued' && m.attempt === 1);
    expect(requeued.reason).toBe('worker disconnected');
    const rescuer = tokenWorker(gw.ws, 'crashy', ADMIN_TOKEN, { tokens: 3, delay: 10, name: 'rescuer' });
    const result = await client.wait('result', (m) => m.type === 'result', 20_000);
    expect(result.data.worker).toBe('rescuer');
    const job = await gw.http('GET', `/v1/jobs/${accepted.job}`);
    expect(job.body).toMatchObject({ state: 'completed', attempt: 2 });
    // The job's own log, replayed from its start (the stream ends after its final event), holds
    // exactly one result and no other end: no second holder's events were appended.
    const replay = await (await fetch(`${gw.url}/v1/jobs/${accepted.job}/events`)).text();
    expect(replay.match(/^event: result$/gm)).toHaveLength(1);
    expect(replay.match(/^event: (failed|cancelled|timed_out)$/gm)).toBeNull();
    // And the client heard it once: everything published before its ping's answer has reached it.
    client.send({ type: 'ping', id: 'fence' });
    await client.wait('the fence', (m) => m.type === 'pong' && m.id === 'fence');
    expect(client.of('result')).toHaveLength(1);
    const seqs = client.messages.filter((m) => m.job === accepted.job && m.seq).map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await rescuer.kill();
    client.close();
  });

  it('refuses a stale worker: its lease expired (no heartbeats), the job moved on, its late result is discarded', async () => {
    await gw.createSpace({ name: 'stale', inputs: ['prompt'] });
    const silent = await gw.worker(['stale'], 1, undefined, { heartbeats: false }); // never heartbeats
    const client = await gw.client();
    client.send({ type: 'submit', space: 'stale', prompt: 'p' });
    const accepted = await client.wait('accepted', (m) => m.type === 'accepted');
    await silent.next('job', (m) => m.type === 'job');
    silent.send({ type: 'started', job: accepted.job });
    // The lease (1.5 s in tests) runs out; the job goes back to the queue.
    await client.wait('requeued', (m) => m.type === 'queued' && m.reason === 'lease expired', 5000);
    const fresh = await gw.worker(['stale']);
    const job = await fresh.next('job', (m) => m.type === 'job');
    expect(job.attempt).toBe(2);

    silent.send({ type: 'result', job: accepted.job, data: 'late and wrong' });
    const refused = await silent.wait('stale_lease', (m) => m.type === 'error' && m.code === 'stale_lease');
    expect(refused.job).toBe(accepted.job);
    fresh.send({ type: 'result', job: accepted.job, data: 'right' });
    const result = await client.wait('result', (m) => m.type === 'result');
    expect(result.data).toBe('right');
    expect(client.of('result')).toHaveLength(1);
    silent.close();
    fresh.close();
    client.close();
  });

  it('fails a job with worker_lost after the space max attempts', async () => {
    await gw.createSpace({ name: 'cursed', inputs: ['prompt'], max_attempts: 2 });
    const client = await gw.client();
    client.send({ type: 'submit', space: 'cursed', prompt: 'p' });
    await client.wait('accepted', (m) => m.type === 'accepted');
    for (let i = 0; i < 2; i++) {
      const w = await gw.worker(['cursed']);
      await w.next('job', (m) => m.type === 'job');
      w.ws.terminate();
    }
    const failed = await client.wait('failed', (m) => m.type === 'failed');
    expect(failed.code).toBe('worker_lost');
    client.close();
  });

  it('lets a worker drain: no new jobs, the running one finishes', async () => {
    await gw.createSpace({ name: 'drainy', inputs: ['prompt'] });
    const w = await gw.worker(['drainy'], 2);
    const client = await gw.client();
    client.send({ type: 'submit', space: 'drainy', prompt: '1' });
    const first = await w.next('job', (m) => m.type === 'job');
    w.send({ type: 'drain' });
    await w.wait('draining', (m) => m.type === 'draining');
    client.send({ type: 'submit', id: 'second', space: 'drainy', prompt: '2' });
    await client.wait('second accepted', (m) => m.type === 'accepted' && m.id === 'second');
    w.send({ type: 'result', job: first.job, data: 'ok' });
    await client.wait('first result', (m) => m.type === 'result');
    expect(w.of('job')).toHaveLength(1);
    const status = await gw.http('GET', '/v1/spaces/drainy');
    expect(status.body).toMatchObject({ queue_length: 1, free_slots: 0 });
    w.close();
    client.close();
  });
});
