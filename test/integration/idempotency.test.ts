import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/binary-frame.ts';
import { cuttableProxy } from '../helpers/cuttable-proxy.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway, twoInstances } from '../helpers/gateway.ts';
import { startRedis } from '../helpers/redis.ts';
import { sdkClient } from '../helpers/sdk.ts';

/** Idempotent submit: the same key from the same caller is the same job, on every submit path. */
let gw: TestGateway;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const jobsIn = async (space: string, g: TestGateway = gw) => (await g.admin('GET', `/v1/admin/jobs?space=${space}`)).body.jobs as Array<{ id: string }>;

beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'once', inputs: ['prompt', 'files'] });
});
afterAll(() => gw.stop());

describe('over /v1/ws', () => {
  it('answers a repeated key with the same job, marked existing, and its events from the start', async () => {
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', id: 'a', space: 'once', prompt: 'p', idempotency_key: 'ws-key-1' });
    const first = await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'a');
    expect(first.existing).toBeUndefined();
    const again = await gw.client(ADMIN_TOKEN);
    again.send({ type: 'submit', id: 'b', space: 'once', prompt: 'p', idempotency_key: 'ws-key-1' });
    const second = await again.wait('accepted', (m) => m.type === 'accepted' && m.id === 'b');
    expect(second).toMatchObject({ job: first.job, existing: true, position: first.position });
    expect(await again.wait('its first event', (m) => m.type === 'queued' && m.job === first.job)).toMatchObject({ seq: 1 });
    client.close();
    again.close();
  });

  it('refuses the same key with another request (idempotency_conflict), and a malformed key', async () => {
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', id: 'a', space: 'once', prompt: 'one thing', idempotency_key: 'ws-key-2' });
    await client.wait('accepted', (m) => m.type === 'accepted');
    client.send({ type: 'submit', id: 'b', space: 'once', prompt: 'another thing', idempotency_key: 'ws-key-2' });
    expect(await client.wait('the conflict', (m) => m.type === 'error' && m.id === 'b')).toMatchObject({ code: 'idempotency_conflict' });
    client.send({ type: 'submit', id: 'c', space: 'once', prompt: 'p', idempotency_key: 'has spaces' });
    expect(await client.wait('the refusal', (m) => m.type === 'error' && m.id === 'c')).toMatchObject({ code: 'invalid_message' });
    client.close();
  });

  it('keeps no file of a submit that was not taken: a replayed one, or one the full queue refused', async () => {
    await gw.createSpace({ name: 'one-place', inputs: ['prompt', 'files'], max_queue: 1 });
    const blobs = () => readdirSync(join(gw.dataDir, 'blobs')).length;
    const client = await gw.client(ADMIN_TOKEN);
    const submit = (id: string, key: string) => {
      client.send({ type: 'submit', id, space: 'one-place', files: [{ name: 'a.txt', mime: 'text/plain', binary: true }], idempotency_key: key });
      client.sendBinary(encodeFrame({ ref: id, index: 0 }, Buffer.from('file contents')));
    };
    submit('first', 'file-key');
    await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'first');
    const stored = blobs();
    submit('replay', 'file-key');
    expect(await client.wait('the replay', (m) => m.type === 'accepted' && m.id === 'replay')).toMatchObject({ existing: true });
    submit('refused', 'another-key');
    expect(await client.wait('the refusal', (m) => m.type === 'error' && m.id === 'refused')).toMatchObject({ code: 'queue_full' });
    expect(blobs()).toBe(stored);
    client.close();
  });
});

describe('over HTTP', () => {
  it('POST /v1/jobs with Idempotency-Key: 202 then 200 with Idempotent-Replayed, one job', async () => {
    await gw.createSpace({ name: 'http-once', inputs: ['prompt'] });
    const post = () => fetch(`${gw.url}/v1/jobs`, { method: 'POST', headers: { ...admin, 'idempotency-key': 'http-1' }, body: JSON.stringify({ space: 'http-once', prompt: 'p' }) });
    const first = await post();
    const second = await post();
    expect([first.status, second.status]).toEqual([202, 200]);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await second.json()).job).toBe((await first.json()).job);
    expect(await jobsIn('http-once')).toHaveLength(1);
  });

  it('PUT /v1/jobs/{key} makes the job once; the key given twice differently, or malformed, is refused', async () => {
    await gw.createSpace({ name: 'put-once', inputs: ['prompt'] });
    const put = (key: string, headers: Record<string, string> = {}) => gw.http('PUT', `/v1/jobs/${encodeURIComponent(key)}`, { space: 'put-once', prompt: 'p' }, { ...admin, ...headers });
    const [a, b] = [await put('client-chosen-1'), await put('client-chosen-1')];
    expect([a.status, b.status]).toEqual([202, 200]);
    expect(b.body.job).toBe(a.body.job);
    expect((await put('client-chosen-2', { 'idempotency-key': 'something-else' })).body.error.code).toBe('invalid_message');
    expect((await put('two words')).status).toBe(400);
    expect(await jobsIn('put-once')).toHaveLength(1);
  });

  it('scopes a key to its caller: another caller’s same key is another job', async () => {
    await gw.createSpace({ name: 'scoped', inputs: ['prompt'] });
    const key = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'someone' })).body.key as string;
    const as = (token: string) => gw.http('POST', '/v1/jobs', { space: 'scoped', prompt: 'p' }, { authorization: `Bearer ${token}`, 'idempotency-key': 'shared' });
    const [mine, theirs] = [await as(ADMIN_TOKEN), await as(key)];
    expect(mine.body.job).not.toBe(theirs.body.job);
    expect(await jobsIn('scoped')).toHaveLength(2);
  });
});

describe('the client SDK', () => {
  it('sends a submit cut off by a dropped connection again with its key: one job each time', async () => {
    await gw.createSpace({ name: 'sdk-once', inputs: ['prompt'] });
    const proxy = await cuttableProxy(gw.port);
    const client = await sdkClient(proxy.url, { token: ADMIN_TOKEN });
    for (let i = 0; i < 5; i++) {
      const submitted = client.submit('sdk-once', { prompt: `p${i}` });
      // Cut at once, or a moment later: the submit may or may not have reached the gateway.
      await new Promise((r) => setTimeout(r, i));
      proxy.cut();
      const job = await submitted;
      expect(job.id).toMatch(/^job_/);
    }
    expect(await jobsIn('sdk-once')).toHaveLength(5);
    client.close();
    proxy.close();
  });
});

describe('across instances (Redis)', () => {
  it('makes one job of the same key sent to two instances at once', async () => {
    const redis = await startRedis();
    const [a, b] = await twoInstances(redis, 'idem');
    try {
      await a!.createSpace({ name: 'shared-once', inputs: ['prompt'] });
      const post = (g: TestGateway) => g.http('POST', '/v1/jobs', { space: 'shared-once', prompt: 'p' }, { ...admin, 'idempotency-key': 'both-at-once' });
      const replies = await Promise.all([a!, b!, a!, b!].map(post));
      expect(new Set(replies.map((r) => r.body.job)).size).toBe(1);
      expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 202]);
      expect(await jobsIn('shared-once', a)).toHaveLength(1);
    } finally {
      await Promise.all([a!.stop(), b!.stop()]);
      await redis.stop();
    }
  });
});
