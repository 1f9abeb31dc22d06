import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { decodeFrame } from '../../src/protocol/binary-frame.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cuttableProxy, type CuttableProxy } from '../helpers/cuttable-proxy.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway, twoInstances } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { startRedis } from '../helpers/redis.ts';
import { sdkClient } from '../helpers/sdk.ts';

/** Resumable uploads (tus, /v1/uploads): large inputs over connections that drop. */
const MiB = 1024 * 1024;
let gw: TestGateway;
let proxy: CuttableProxy;

beforeAll(async () => {
  gw = await testGateway({ limits: { maxBlobBytes: 256 * MiB, maxUploadBytesInFlight: 1024 * MiB }, budgets: { uploadBytes: 64 * MiB } });
  proxy = await cuttableProxy(gw.port);
});
afterAll(async () => {
  proxy.close();
  await gw.stop();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
async function stored(id: string): Promise<Uint8Array> {
  const res = await fetch(`${gw.url}/v1/blobs/${id}`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe('resumable uploads with the client SDK', () => {
  it('sends 200 MiB through a connection cut twice mid-request, resuming from the gateway’s offset: the blob is byte for byte the file', async () => {
    const file = randomBytes(200 * MiB);
    const client = await sdkClient(proxy.url, { token: ADMIN_TOKEN });
    const progress: number[] = [];
    const cuts: number[] = [];
    const upload = client.upload(file, { name: 'big.bin', mime: 'application/octet-stream' }, { chunkBytes: 32 * MiB, onProgress: (sent) => progress.push(sent) });
    for (const at of [60 * MiB, 140 * MiB]) {
      await until(`${at / MiB} MiB through the proxy`, () => proxy.bytesIn() > at || undefined, 60_000);
      cuts.push(proxy.cut());
    }
    const blob = await upload;
    expect(cuts.every((n) => n > 0)).toBe(true);
    expect(blob).toMatchObject({ name: 'big.bin', size: file.length, url: `/v1/blobs/${blob.id}` });
    expect(progress.at(-1)).toBe(file.length);
    // The cuts cost at most the part of each chunk that was not yet written: far less than starting over.
    expect(proxy.bytesIn()).toBeLessThan(file.length + 2 * 32 * MiB + MiB);
    expect(sha256(await stored(blob.id))).toBe(sha256(file));
    client.close();
  }, 120_000);

  it('a submit uses the finished upload as an input file', async () => {
    await gw.createSpace({ name: 'takes-files', inputs: ['files'] });
    const worker = await gw.worker(['takes-files']);
    const client = await sdkClient(gw.url, { token: ADMIN_TOKEN });
    const file = randomBytes(9 * MiB);
    const { id } = await client.upload(file, { name: 'input.bin', mime: 'application/octet-stream' });
    const accepted = await gw.http('POST', '/v1/jobs', { space: 'takes-files', files: [{ blob: id }] }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(accepted.status).toBe(202);
    const job = await worker.next('job', (m) => m.type === 'job');
    expect(job.files).toEqual([expect.objectContaining({ name: 'input.bin', size: file.length })]);
    const frame = decodeFrame(await until('the file’s frame', () => worker.binary[0]))!;
    expect(sha256(frame.payload)).toBe(sha256(file));
    worker.close();
    client.close();
  });
});

describe('resumable uploads with tus-js-client (the protocol’s reference client)', () => {
  it('uploads, resumes after a cut, and the upload id is the blob id', async () => {
    const file = randomBytes(24 * MiB);
    let cut = false;
    const url = await new Promise<string>((resolve, reject) => {
      const upload = new tus.Upload(file, {
        endpoint: `${proxy.url}/v1/uploads`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        chunkSize: 4 * MiB,
        retryDelays: [50, 100, 200, 400],
        metadata: { filename: 'clip.bin', filetype: 'video/mp4' },
        onProgress: (sent) => {
          if (!cut && sent > 10 * MiB) cut = proxy.cut() > 0;
        },
        onSuccess: () => resolve(upload.url!),
        onError: reject,
      });
      upload.start();
    });
    expect(cut).toBe(true);
    const id = url.slice(url.lastIndexOf('/') + 1);
    expect(id).toMatch(/^blob_/);
    const res = await fetch(`${gw.url}/v1/blobs/${id}`);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(file));
  });
});

describe('the edge of /v1/uploads', () => {
  const create = (length: number, headers: Record<string, string>) =>
    fetch(`${gw.url}/v1/uploads`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length), ...headers } });

  it('lets only the caller who created an upload continue it', async () => {
    const key = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'other' })).body.key as string;
    const created = await create(1000, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get('location')!, gw.url).href;
    const asOther = await fetch(location, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${key}` } });
    expect(asOther.status).toBe(404);
    const asOwner = await fetch(location, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(asOwner.headers.get('upload-offset')).toBe('0');
  });

  it('refuses a file over the blob limit, and uploads past a caller’s budget', async () => {
    expect((await create(257 * MiB, { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(413);
    const key = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'small' })).body.key as string;
    expect((await create(40 * MiB, { authorization: `Bearer ${key}` })).status).toBe(201);
    const over = await create(30 * MiB, { authorization: `Bearer ${key}` });
    expect(over.status).toBe(429);
    expect(await over.text()).toMatch(/unfinished and unused uploads would pass/);
  });

  it('POST /v1/blobs refuses a part of a file (Content-Range) instead of storing it as the whole', async () => {
    const res = await gw.http('POST', '/v1/blobs?name=half.bin', 'x'.repeat(100), { 'content-range': 'bytes 0-99/200', 'content-type': 'application/octet-stream' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_message', message: expect.stringContaining('/v1/uploads') });
  });
});

describe('resumable uploads across instances (Redis, one shared uploads directory)', () => {
  it('an upload created through one instance is continued and finished through the other, and read from the first', async () => {
    const redis = await startRedis();
    const shared = mkdtempSync(join(tmpdir(), 'spaceport-tus-shared-'));
    const [a, b] = await twoInstances(redis, 'tus', { uploadsDir: shared });
    try {
      const file = randomBytes(3 * MiB);
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'tus-resumable': '1.0.0' };
      const created = await fetch(`${a!.url}/v1/uploads`, { method: 'POST', headers: { ...auth, 'upload-length': String(file.length) } });
      const path = created.headers.get('location')!;
      const patch = (gw: TestGateway, from: number, to: number) =>
        fetch(gw.url + path, { method: 'PATCH', headers: { ...auth, 'upload-offset': String(from), 'content-type': 'application/offset+octet-stream' }, body: file.subarray(from, to) });
      expect((await patch(a!, 0, MiB)).status).toBe(204);
      const head = await fetch(b!.url + path, { method: 'HEAD', headers: auth });
      expect(head.headers.get('upload-offset')).toBe(String(MiB));
      expect((await patch(b!, MiB, file.length)).status).toBe(204);
      const res = await fetch(`${a!.url}/v1/blobs/${path.slice(path.lastIndexOf('/') + 1)}`);
      expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(file));
    } finally {
      await Promise.all([a!.stop(), b!.stop()]);
      await redis.stop();
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
