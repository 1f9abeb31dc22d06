import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';

/** Downloads by byte range, as a video player seeking in a result asks for them. */
let gw: TestGateway;
let url: string;
const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7) % 256));
beforeAll(async () => {
  gw = await testGateway();
  const res = await fetch(`${gw.url}/v1/blobs?name=clip.mp4`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'video/mp4' }, body: bytes });
  url = `${gw.url}${((await res.json()) as { url: string }).url}`;
});
afterAll(() => gw.stop());

const get = (range?: string) => fetch(url, range ? { headers: { range } } : {});

describe('GET /v1/blobs/{id} with Range', () => {
  it('says it takes ranges, and sends the whole without one', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('answers a range with 206, Content-Range and exactly those bytes, wherever it seeks', async () => {
    for (const [range, start, end] of [
      ['bytes=0-0', 0, 0],
      ['bytes=4096-8191', 4096, 8191],
      ['bytes=9000-', 9000, 9999],
      ['bytes=-10', 9990, 9999],
    ] as const) {
      const res = await get(range);
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/10000`);
      expect(Number(res.headers.get('content-length'))).toBe(end - start + 1);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(start, end + 1))).toBe(true);
    }
  });

  it('answers 416 with the size for a range past the end', async () => {
    const res = await get('bytes=20000-');
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */10000');
  });
});
