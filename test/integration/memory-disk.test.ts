import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

/** Uploads stream to disk within a global budget and a per-caller one, and are deleted when no job uses them. */
const MiB = 1024 * 1024;

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway({
    limits: { maxUploadBytesInFlight: 24 * MiB, maxBlobBytes: 20 * MiB },
    budgets: { uploadBytes: 3 * MiB },
    trustedProxies: ['127.0.0.1'],
    core: { uploadRetentionMs: 600, sweepIntervalMs: 100 },
  });
  await gw.createSpace({ name: 'files', inputs: ['files', 'prompt'] });
});
afterAll(() => gw.stop());

/** An upload whose body the test writes by hand; `finish` sends the rest and resolves with the answer. */
function openUpload(declared: number | null, from: string | 'admin') {
  const who: Record<string, string> = from === 'admin' ? { authorization: `Bearer ${ADMIN_TOKEN}` } : { 'x-forwarded-for': from };
  const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', ...who };
  if (declared !== null) headers['content-length'] = declared;
  const req = request(`${gw.url}/v1/blobs?name=up.bin`, { method: 'POST', headers });
  const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
  return {
    write: (bytes: Buffer) => new Promise<void>((resolve) => req.write(bytes, () => resolve())),
    finish: (bytes?: Buffer) => {
      req.end(bytes);
      return answer;
    },
    answer,
  };
}
const upload = (bytes: Buffer, from: string | 'admin') => openUpload(bytes.length, from).finish(bytes);
const partsOnDisk = () => readdirSync(join(gw.dataDir, 'uploads')).filter((f) => f.endsWith('.part'));

describe('uploads', () => {
  it('stream to a file while they arrive (not gathered in memory), and are stored whole', async () => {
    const bytes = Buffer.alloc(12 * MiB, 7);
    const up = openUpload(null, 'admin'); // chunked: no declared length; the admin has no upload budget
    await up.write(bytes.subarray(0, 6 * MiB));
    // Half of it is on disk before the rest was even sent.
    const part = await until('the part on disk', () => {
      const [name] = partsOnDisk();
      return name && statSync(join(gw.dataDir, 'uploads', name)).size >= 6 * MiB ? name : undefined;
    });
    expect(part).toMatch(/^blob_.*\.part$/);
    const { status, body } = await up.finish(bytes.subarray(6 * MiB));
    expect(status).toBe(201);
    expect(body.size).toBe(bytes.length);
    expect(partsOnDisk()).toEqual([]);
    const back = Buffer.from(await (await fetch(`${gw.url}/v1/blobs/${body.id}`)).arrayBuffer());
    expect(back.equals(bytes)).toBe(true);
  });

  it('are refused with busy past the gateway’s bytes in flight, and taken again once those arrive', async () => {
    const first = openUpload(15 * MiB, 'admin');
    await first.write(Buffer.alloc(MiB));
    await until('the first upload under way', () => partsOnDisk().length > 0 || undefined);
    const second = await upload(Buffer.alloc(10 * MiB), 'admin');
    expect(second.status).toBe(503);
    expect(second.body.error.code).toBe('busy');
    expect((await first.finish(Buffer.alloc(14 * MiB))).status).toBe(201);
    expect((await upload(Buffer.alloc(10 * MiB), 'admin')).status).toBe(201);
  });

  it('count against their caller’s budget until a job uses them; another caller is unaffected', async () => {
    const caller = '203.0.113.50';
    const a = await upload(Buffer.alloc(2 * MiB, 1), caller);
    expect(a.status).toBe(201);
    const b = await upload(Buffer.alloc(2 * MiB, 2), caller);
    expect(b.status).toBe(429);
    expect(b.body.error.code).toBe('quota_exceeded');
    expect((await upload(Buffer.alloc(2 * MiB, 3), '203.0.113.51')).status).toBe(201);
    // A job takes the first: it is the job's now, and the caller may store again.
    const job = await gw.http('POST', '/v1/jobs', { space: 'files', files: [{ blob: a.body.id }] }, { 'x-forwarded-for': caller });
    expect(job.status).toBe(202);
    expect((await upload(Buffer.alloc(2 * MiB, 4), caller)).status).toBe(201);
  });

  it('are deleted after uploadRetentionMs when no job used them; one a job used is kept', async () => {
    const unused = await upload(Buffer.from('nobody wants me'), '192.0.2.1');
    const used = await upload(Buffer.from('a job uses me'), '192.0.2.1');
    expect((await gw.http('POST', '/v1/jobs', { space: 'files', files: [{ blob: used.body.id }] })).status).toBe(202);
    await until('the unused upload to go', async () => (await fetch(`${gw.url}/v1/blobs/${unused.body.id}`)).status === 404 || undefined);
    // Its file goes right after its record (the unlink is a step of its own).
    await until('its file to go', () => !existsSync(join(gw.dataDir, 'blobs', unused.body.id)) || undefined);
    expect((await fetch(`${gw.url}/v1/blobs/${used.body.id}`)).status).toBe(200);
  });
});

describe('session images', () => {
  it('are checked against the space’s caps as they arrive, not when the session is sealed', async () => {
    const small = await testGateway();
    try {
      await small.createSpace({ name: 'images-to-3d', inputs: { image: { max_bytes: 4096, mime: ['image/png'] } } });
      const session = (await small.http('POST', '/ws/session/create')).body as { session_id: string };
      const ws = await WsPeer.open(`${small.ws}/ws/reconstruct/${session.session_id}`);
      await ws.wait('connected', (m) => m.type === 'connected');
      const noise = randomBytes(64 * 64 * 3); // does not compress: a PNG of it is over 12 KB
      const big = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } })
        .png()
        .toBuffer();
      expect(big.length).toBeGreaterThan(4096);
      ws.send({ type: 'image', data: big.toString('base64') });
      expect((await ws.wait('refused', (m) => m.type === 'error')).message).toMatch(/allows 4096/);
      const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
        .jpeg()
        .toBuffer();
      ws.send({ type: 'image', data: jpeg.toString('base64') });
      await ws.wait('refused again', (m) => m.type === 'error' && /does not accept image\/jpeg/.test(m.message));
      const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
        .png()
        .toBuffer();
      ws.send({ type: 'image', data: tiny.toString('base64') });
      expect(await ws.wait('ack', (m) => m.type === 'ack')).toMatchObject({ num_images: 1 });
      ws.close();
    } finally {
      await small.stop();
    }
  });
});
