import { readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

/**
 * Hostile JSON through every entry point that takes a free-form value, on both engines: each is
 * refused with its protocol's error before anything is stored, the connection stays up, and the
 * gateway goes on serving everyone else (/health, the admin's job list, finished jobs, new jobs).
 */

/** JSON text nested 5,000 levels deep (~30 KB), written as text: JSON.stringify cannot even make it. */
const DEEP = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
const BIG = JSON.stringify({ text: 'x'.repeat(70 * 1024) });

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

describe.each(['embedded', 'redis'] as const)('hostile JSON on every entry point (%s engine)', (engine) => {
  let gw: TestGateway;
  let png: string;
  beforeAll(async () => {
    gw = await testGateway(engine === 'redis' ? { redis: { url: redis.url, prefix: `hostile-${Date.now()}:` } } : {});
    await gw.createSpace({ name: 'text', inputs: ['prompt'], open_registration: true });
    await gw.createSpace({ name: 'pics', inputs: ['image'] });
    await gw.createSpace({ name: 'text-generation', inputs: ['prompt'] });
    png = (
      await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
        .png()
        .toBuffer()
    ).toString('base64');
  });
  afterAll(() => gw?.stop());

  /** Sends a raw frame and waits for the protocol's answer, then checks the socket still answers. */
  async function refused(peer: WsPeer, raw: string, isAnswer: (m: Record<string, any>) => boolean, ping: { send: object; pong: (m: Record<string, any>) => boolean }) {
    peer.send(raw);
    const answer = await peer.wait('the refusal', isAnswer);
    peer.send(ping.send);
    await peer.wait('an answer after it', ping.pong);
    expect(peer.closed).toBeNull();
    return answer;
  }

  it('/v1/ws submit options: invalid_message', async () => {
    const client = await gw.client();
    const ping = { send: { type: 'ping', id: 'p' }, pong: (m: Record<string, any>) => m.type === 'pong' };
    for (const options of [DEEP, BIG]) {
      const error = await refused(client, `{"type":"submit","id":"h","space":"text","prompt":"x","options":{"v":${options}}}`, (m) => m.type === 'error' && m.id === 'h', ping);
      expect(error.code).toBe('invalid_message');
      expect(error.message).toMatch(/options.*(deeper than 32|larger than)/);
      client.messages.length = 0;
    }
    client.close();
  });

  it('POST /v1/jobs options, and any deep REST body: 400 invalid_message', async () => {
    for (const options of [DEEP, BIG]) {
      const res = await gw.http('POST', '/v1/jobs', `{"space":"text","prompt":"x","options":{"v":${options}}}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_message');
    }
    for (const [path, body] of [
      ['/v1/admin/spaces', `{"name":"deep","description":${DEEP}}`],
      ['/v1/auth/login', `{"username":${DEEP},"password":"x"}`],
    ] as const) {
      const res = await gw.http('POST', path, body, { authorization: `Bearer ${ADMIN_TOKEN}` });
      expect(res.status, path).toBe(400);
      expect(res.body.error?.code ?? res.body.detail?.code ?? res.body.code, path).toBe('invalid_message');
    }
  });

  it('/ws query options: an error message, and the socket keeps answering', async () => {
    const ws = await WsPeer.open(`${gw.ws}/ws`);
    const error = await refused(ws, `{"type":"query","session_id":"s","query":"q","options":{"v":${DEEP}}}`, (m) => m.type === 'error', {
      send: { type: 'ping' },
      pong: (m) => m.type === 'pong',
    });
    expect(error.code).toBe('invalid_message');
    ws.close();
  });

  it('/ws/{client_id} send_frame options: INVALID_OPTIONS', async () => {
    const ws = await WsPeer.open(`${gw.ws}/ws/visitor-1`);
    const error = await refused(ws, `{"type":"send_frame","frame_id":"f1","plugin":"pics","image_data":"${png}","options":{"v":${DEEP}}}`, (m) => m.type === 'error', {
      send: { type: 'subscribe', topic: 'plugin_nope' },
      pong: (m) => m.error_code === 'PLUGIN_NOT_FOUND',
    });
    expect(error).toMatchObject({ error_code: 'INVALID_OPTIONS', frame_id: 'f1' });
    ws.close();
  });

  it('/ws/lip-sync process options: validation_error, and the socket keeps answering', async () => {
    const ws = await WsPeer.open(`${gw.ws}/ws/lip-sync`);
    await ws.wait('greeting', (m) => m.type === 'connection');
    const error = await refused(ws, `{"type":"process","audio_base64":"AAAA","image_base64":"${png}","options":{"model_type":${DEEP}}}`, (m) => m.type === 'error', {
      send: { type: 'ping' },
      pong: (m) => m.type === 'pong',
    });
    expect(error.error_type).toBe('validation_error');
    ws.close();
  });

  it('a worker’s result and partial data, native and remote app: refused, the job still held and then finished', async () => {
    const { worker, client, job } = await gw.heldJob('text');
    for (const type of ['partial', 'result']) {
      worker.send(`{"type":"${type}","job":"${job}","data":${DEEP}}`);
      const error = await worker.next(`${type} refused`, (m) => m.type === 'error');
      expect(error.code).toBe('invalid_message');
    }
    worker.send({ type: 'result', job, data: { text: 'honest' } });
    expect((await client.wait('result', (m) => m.type === 'result' && m.job === job)).data).toEqual({ text: 'honest' });
    worker.close();

    const app = await WsPeer.open(`${gw.ws}/websocket-spaces`);
    app.send({ type: 'register', space_name: 'text' });
    await app.wait('registered', (m) => m.type === 'registered');
    client.send({ type: 'submit', space: 'text', prompt: 'again' });
    const request = await app.wait('request', (m) => m.type === 'inference_request');
    app.send(`{"type":"inference_result","request_id":"${request.request_id}","result":${DEEP}}`);
    expect((await app.wait('refused', (m) => m.type === 'error')).code).toBe('invalid_message');
    app.send({ type: 'inference_result', request_id: request.request_id, result: 'ok' });
    await client.wait('second result', (m) => m.type === 'result' && m.job === request.request_id);
    app.close();
    client.close();
  });

  it('after all of it, everyone else is served: health, the job list, a finished job, a new job', async () => {
    expect((await gw.http('GET', '/health')).status).toBe(200);
    const list = await gw.admin('GET', '/v1/admin/jobs');
    expect(list.status).toBe(200);
    const finished = list.body.jobs.find((j: { state: string }) => j.state === 'completed');
    expect((await gw.admin('GET', `/v1/jobs/${finished.id}`)).status).toBe(200);
    const { worker, client, job } = await gw.heldJob('text', 'still here');
    worker.send({ type: 'result', job, data: 'served' });
    await client.wait('result', (m) => m.type === 'result' && m.job === job);
    worker.close();
    client.close();
  });
});

describe('a record the journal cannot write fails alone (embedded engine, past the edge)', () => {
  it('fails its own submit; the jobs committed beside it, the worker that took it and the store carry on', async () => {
    const gw = await testGateway();
    try {
      await gw.createSpace({ name: 'text', inputs: ['prompt'] });
      const worker = await gw.worker(['text'], 1);
      const jobs = gw.context.core.jobs;
      const who = { kind: 'anonymous', id: 'anonymous', name: 'anonymous' } as const;
      // Straight into the core, as if a check at the edge had been missed: the poison first, so it
      // takes the worker's only slot, and honest jobs in the same turn, so they share its commit.
      const poison = jobs.submit(who, { space: 'text', prompt: 'p', options: { v: JSON.parse(DEEP) }, files: [] });
      const honest = Array.from({ length: 5 }, (_, i) => jobs.submit(who, { space: 'text', prompt: `h${i}`, files: [] }));
      await expect(poison).rejects.toThrow();
      const accepted = await Promise.all(honest);
      // The poison took the worker's only slot but could not be sent: the slot serves the rest.
      for (let i = 0; i < accepted.length; i++) {
        const next = await worker.next(`honest job ${i}`, (m) => m.type === 'job');
        worker.send({ type: 'result', job: next.job, data: 'ok' });
      }
      const ids = accepted.map((a) => a.job.id);
      for (const id of ids) {
        await expect.poll(async () => (await gw.admin('GET', `/v1/jobs/${id}`)).body.state, { timeout: 10_000 }).toBe('completed');
      }
      expect((await gw.http('GET', '/health')).status).toBe(200);
      expect((await gw.admin('GET', '/v1/admin/jobs')).status).toBe(200);
      expect(worker.messages.filter((m) => m.type === 'job')).toHaveLength(accepted.length);
      expect(worker.of('cancel')).toHaveLength(0); // its slot was freed, not held for a cancel of a job it never had
      const list = (await gw.admin('GET', '/v1/admin/jobs')).body.jobs as Array<{ id: string }>;
      expect(list.map((j) => j.id).sort()).toEqual([...ids].sort());
      worker.close();
    } finally {
      await gw.stop();
    }
  });
});

describe('a submit whose commit fails after a worker took it (embedded engine, disk full)', () => {
  it('is refused to its client, and the worker is told to stop it', async () => {
    const gw = await testGateway();
    try {
      await gw.createSpace({ name: 'text', inputs: ['prompt'] });
      const client = await gw.client();
      client.send({ type: 'submit', id: 'first', space: 'text', prompt: 'p' }); // so the journal has something to rotate
      const first = await client.wait('first accepted', (m) => m.type === 'accepted');
      // The journal's next segment is /dev/full: every write to it fails as on a full disk.
      const dir = join(gw.dataDir, 'journal');
      const current = readdirSync(dir)
        .filter((f) => /^\d+\.log$/.test(f))
        .sort()
        .at(-1)!;
      symlinkSync('/dev/full', join(dir, `${String(Number.parseInt(current, 10) + 1).padStart(8, '0')}.log`));
      expect((await gw.admin('GET', '/v1/admin/jobs')).status).toBe(200); // a read rotates the journal onto it
      const worker = await gw.worker(['text'], 2);
      await worker.next('the first job', (m) => m.type === 'job' && m.job === first.job);
      client.send({ type: 'submit', id: 's', space: 'text', prompt: 'p' });
      const job = await worker.next('the second job', (m) => m.type === 'job');
      expect((await client.wait('refusal', (m) => m.type === 'error' && m.id === 's')).code).toBe('internal_error');
      expect(await worker.next('its cancel', (m) => m.type === 'cancel')).toMatchObject({ job: job.job, reason: 'not accepted' });
      expect(client.of('accepted')).toHaveLength(1);
      client.close();
      worker.close();
    } finally {
      await gw.stop();
    }
  });
});
