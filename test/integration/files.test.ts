import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../src/protocol/binary-frame.ts';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';

let gw: TestGateway;
/** PNG's signature, which the gateway checks an image input by, then bytes of every value. */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const png = Buffer.concat([PNG_SIGNATURE, Buffer.from(Array.from({ length: 2992 }, (_, i) => (i * 7) % 256))]);

beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'vision', inputs: { image: { mime: ['image/*'] }, prompt: true } });
});
afterAll(() => gw.stop());

describe('files without base64', () => {
  it('takes a submit with a binary frame, hands the bytes to the worker as a frame, and returns result files', async () => {
    const worker = await gw.worker(['vision']);
    const client = await gw.client();
    client.send({ type: 'submit', id: 'up1', space: 'vision', prompt: 'what is this', files: [{ name: 'a.png', mime: 'image/png', binary: true }] });
    client.sendBinary(encodeFrame({ ref: 'up1', index: 0 }, png));
    const job = await worker.next('job', (m) => m.type === 'job');
    expect(job.files).toEqual([{ index: 0, name: 'a.png', mime: 'image/png', size: png.length, input: 'image' }]);
    const frame = await until('the file frame', () => worker.binary[0]);
    const decoded = decodeFrame(frame)!;
    expect(decoded.header).toEqual({ ref: job.job, index: 0 });
    expect(decoded.payload.equals(png)).toBe(true);

    const out = Buffer.from('result bytes \u0000\u0001');
    worker.send({ type: 'result', job: job.job, data: { ok: true }, files: [{ name: 'out.bin', mime: 'application/octet-stream', binary: true }] });
    worker.sendBinary(encodeFrame({ ref: job.job, index: 0 }, out));
    const result = await client.wait('result', (m) => m.type === 'result');
    expect(result.files).toHaveLength(1);
    const download = await fetch(gw.url + result.files[0].url);
    expect(Buffer.from(await download.arrayBuffer()).equals(out)).toBe(true);

    client.send({ type: 'fetch', id: 'f1', blob: result.files[0].id });
    const fetched = decodeFrame(await until('fetched frame', () => client.binary[0]))!;
    expect(fetched.header).toMatchObject({ ref: 'f1', name: 'out.bin' });
    expect(fetched.payload.equals(out)).toBe(true);
    worker.close();
    client.close();
  });

  it('moves large files (sent as two fragments of one message) byte for byte both ways', async () => {
    const big = Buffer.concat([PNG_SIGNATURE, Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 9 }, (_, i) => (i * 31 + (i >> 12)) % 256))]);
    const worker = await gw.worker(['vision']);
    const client = await gw.client();
    client.send({ type: 'submit', id: 'big', space: 'vision', files: [{ name: 'big.png', mime: 'image/png', binary: true }] });
    client.sendBinary(encodeFrame({ ref: 'big', index: 0 }, big));
    const job = await worker.next('job', (m) => m.type === 'job' && m.files[0]?.size === big.length);
    const toWorker = decodeFrame(await until('the big frame', () => worker.binary.find((f) => decodeFrame(f)?.header.ref === job.job)))!;
    expect(toWorker.payload.equals(big)).toBe(true);
    worker.send({ type: 'result', job: job.job, files: [{ name: 'back.bin', mime: 'application/octet-stream', binary: true }] });
    worker.sendBinary(encodeFrame({ ref: job.job, index: 0 }, toWorker.payload));
    const result = await client.wait('big result', (m) => m.type === 'result' && m.job === job.job);
    client.send({ type: 'fetch', id: 'f-big', blob: result.files[0].id });
    const fetched = decodeFrame(await until('the fetched big frame', () => client.binary.find((f) => decodeFrame(f)?.header.ref === 'f-big')))!;
    expect(fetched.header).toMatchObject({ ref: 'f-big', size: big.length });
    expect(fetched.payload.equals(big)).toBe(true);
    worker.close();
    client.close();
  });

  it('accepts a blob uploaded over HTTP by id, and inline base64', async () => {
    const worker = await gw.worker(['vision']);
    const up = await fetch(`${gw.url}/v1/blobs?name=b.png`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
    expect(up.status).toBe(201);
    const blob = (await up.json()) as { id: string; size: number };
    expect(blob.size).toBe(png.length);
    const res = await gw.http('POST', '/v1/jobs', {
      space: 'vision',
      files: [{ blob: blob.id }, { name: 'c.png', mime: 'image/png', data: png.toString('base64') }],
    });
    expect(res.status).toBe(202);
    const job = await worker.next('job', (m) => m.type === 'job');
    expect(job.files.map((f: any) => f.name)).toEqual(['b.png', 'c.png']);
    await until('two frames', () => worker.binary.length >= 2 || undefined);
    expect(worker.binary.every((f) => decodeFrame(f)!.payload.equals(png))).toBe(true);
    expect((await gw.http('POST', '/v1/jobs', { space: 'vision', files: [{ blob: 'blob_missing' }] })).body.error.code).toBe('blob_not_found');
    worker.close();
  });

  it('refuses an upload over the blob limit with input_too_large', async () => {
    const small = await import('../helpers/gateway.ts').then((m) => m.testGateway({ limits: { maxBlobBytes: 1000 } }));
    const res = await fetch(`${small.url}/v1/blobs`, { method: 'POST', body: png });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('input_too_large');
    await small.stop();
  });
});
