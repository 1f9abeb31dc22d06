import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayWithBuiltinWorkers } from '../helpers/builtin.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { runPython } from '../helpers/processes.ts';
import { until } from '../helpers/latch.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

// Driven as shared/seeds/004 shows: POST /ws/session/create with query parameters, then a socket
// on /ws/reconstruct/{id}: image → ack, generate → progress → complete (or delta), finalize.
let gw: TestGateway;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ gw, stop } = await gatewayWithBuiltinWorkers(['images-to-3d']));
}, 60_000);
afterAll(async () => {
  await stop?.();
});

/** A 64×48 gradient image in one hue. */
const image = (r: number, g: number, b: number) =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><defs><linearGradient id="g"><stop offset="0" stop-color="black"/><stop offset="1" stop-color="rgb(${r},${g},${b})"/></linearGradient></defs><rect width="64" height="48" fill="url(#g)"/></svg>`,
    ),
  )
    .png()
    .toBuffer();

/** Reads a GLB: its glTF JSON and the point count of its first primitive. */
function readGlb(glb: Buffer): { json: any; points: number } {
  expect(glb.readUInt32LE(0)).toBe(0x46546c67); // "glTF"
  expect(glb.readUInt32LE(4)).toBe(2);
  expect(glb.readUInt32LE(8)).toBe(glb.length);
  const jsonLength = glb.readUInt32LE(12);
  expect(glb.readUInt32LE(16)).toBe(0x4e4f534a); // JSON
  const json = JSON.parse(glb.subarray(20, 20 + jsonLength).toString('utf8'));
  const binHeader = 20 + jsonLength;
  expect(glb.readUInt32LE(binHeader + 4)).toBe(0x004e4942); // BIN
  expect(glb.readUInt32LE(binHeader)).toBeGreaterThanOrEqual(json.buffers[0].byteLength);
  expect(json.asset.version).toBe('2.0');
  const primitive = json.meshes[0].primitives[0];
  expect(primitive.mode).toBe(0); // POINTS
  const position = json.accessors[primitive.attributes.POSITION];
  expect(json.accessors[primitive.attributes.COLOR_0].count).toBe(position.count);
  return { json, points: position.count };
}

async function createSession(query: string): Promise<any> {
  const res = await fetch(`${gw.url}/ws/session/create?${query}`, { method: 'POST' });
  expect(res.status).toBe(200);
  return res.json();
}

describe('reconstruct dialect (sessions + /ws/reconstruct/{session_id})', () => {
  it('uploads three images (ack with image_path), generates a complete GLB with every point, then a delta for one more', async () => {
    const session = await createSession('max_images=10&process_res=504&num_max_points=1000000');
    expect(session).toMatchObject({ status: 'open', max_images: 10, process_res: 504, num_max_points: 1_000_000, num_images: 0 });
    const ws = await WsPeer.open(`${gw.ws}/ws/reconstruct/${session.session_id}`);
    expect(await ws.wait('connected', (m) => m.type === 'connected')).toMatchObject({ session_id: session.session_id, num_images: 0, max_images: 10 });
    const images = [await image(255, 0, 0), await image(0, 255, 0), await image(0, 0, 255)];
    for (const [i, img] of images.entries()) {
      ws.send({ type: 'image', data: img.toString('base64'), filename: `img${i + 1}.png` });
      const ack = await ws.next('ack', (m) => m.type === 'ack' || m.type === 'error');
      expect(ack).toMatchObject({ type: 'ack', filename: `img${i + 1}.png`, num_images: i + 1 });
      // The image_path serves the very bytes uploaded.
      expect(Buffer.from(await (await fetch(gw.url + ack.image_path)).arrayBuffer()).equals(img)).toBe(true);
    }
    ws.send({ type: 'generate', incremental: false });
    const complete = await ws.wait('complete', (m) => m.type === 'complete' || m.type === 'error', 30_000);
    expect(complete.type).toBe('complete');
    const glb = Buffer.from(complete.glb_base64, 'base64');
    expect(complete.metadata).toMatchObject({ num_frames: 3, glb_size_bytes: glb.length, num_points: 3 * 64 * 48 });
    expect(readGlb(glb).points).toBe(3 * 64 * 48);
    const progress = ws.of('progress').map((p) => p.progress);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    ws.send({ type: 'image', data: (await image(255, 255, 0)).toString('base64'), filename: 'img4.png' });
    await ws.wait('fourth ack', (m) => m.type === 'ack' && m.num_images === 4);
    ws.send({ type: 'generate', incremental: true });
    const delta = await ws.wait('delta', (m) => m.type === 'delta' || (m.type === 'error' && ws.of('error').length > 0), 30_000);
    expect(delta.type).toBe('delta');
    expect(delta.metadata).toMatchObject({ num_frames: 1, first_image: 3, incremental: true });
    expect(readGlb(Buffer.from(delta.glb_base64, 'base64')).points).toBe(64 * 48);
    // Nothing new since: an incremental generate has nothing to do.
    ws.send({ type: 'generate', incremental: true });
    expect((await ws.wait('empty', (m) => m.type === 'error')).message).toMatch(/No images were added/);

    const info = (await gw.http('GET', `/ws/session/${session.session_id}`)).body;
    expect(info).toMatchObject({ session_id: session.session_id, num_images: 4 });
    expect(info.jobs).toHaveLength(2);
    expect(info.images.map((i: { filename: string }) => i.filename)).toEqual(['img1.png', 'img2.png', 'img3.png', 'img4.png']);
    ws.send({ type: 'finalize' });
    expect(await ws.wait('finalized', (m) => m.type === 'finalized')).toMatchObject({ num_images: 4 });
    ws.send({ type: 'image', data: (await image(1, 2, 3)).toString('base64') });
    expect((await ws.wait('closed', (m) => m.type === 'error' && /finalized/.test(m.message))).type).toBe('error');
    ws.close();
  }, 60_000);

  it('lists, shows and deletes sessions over REST; unknown sessions are 404 and refused on the socket', async () => {
    const session = await createSession('max_images=2');
    const listed = (await gw.http('GET', '/ws/sessions')).body;
    expect(listed.sessions.map((s: { session_id: string }) => s.session_id)).toContain(session.session_id);
    expect((await gw.http('DELETE', `/ws/session/${session.session_id}`)).body).toEqual({ session_id: session.session_id, deleted: true });
    expect((await gw.http('GET', `/ws/session/${session.session_id}`)).status).toBe(404);
    const ws = await WsPeer.open(`${gw.ws}/ws/reconstruct/${session.session_id}`);
    expect((await ws.wait('error', (m) => m.type === 'error')).message).toMatch(/Session not found/);
    expect((await ws.waitClosed()).code).toBe(4004);
    expect((await fetch(`${gw.url}/ws/session/create?max_images=0`, { method: 'POST' })).status).toBe(400);
  });

  it('refuses images past max_images and expires sessions after their time', async () => {
    const session = await createSession('max_images=1&ttl_seconds=1');
    const ws = await WsPeer.open(`${gw.ws}/ws/reconstruct/${session.session_id}`);
    await ws.wait('connected', (m) => m.type === 'connected');
    ws.send({ type: 'image', data: (await image(9, 9, 9)).toString('base64') });
    ws.send({ type: 'image', data: (await image(9, 9, 9)).toString('base64') });
    expect((await ws.wait('full', (m) => m.type === 'error')).message).toMatch(/already has 1 images/);
    // Its second runs out: from then on it is gone (asked until it is, not after a guessed sleep).
    await until('the session to expire', async () => (await gw.http('GET', `/ws/session/${session.session_id}`)).status === 404 || undefined, 5000);
    ws.close();
  });

  it('answers CORS so the document page can call it from another origin, and serves the dashboard', async () => {
    const preflight = await fetch(`${gw.url}/ws/session/create`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8080', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    const created = await fetch(`${gw.url}/ws/session/create`, { method: 'POST', headers: { origin: 'http://localhost:8080' } });
    expect(created.headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
    const dashboard = await (await fetch(`${gw.url}/dashboard`)).text();
    expect(dashboard).toContain('/ws/sessions');
  });

  it('works from a Python client shaped like the document example', async () => {
    const dir = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/spaceport-recon-`);
    const { writeFileSync } = await import('node:fs');
    for (const [i, rgb] of [
      [200, 50, 50],
      [50, 200, 50],
      [50, 50, 200],
    ].entries())
      writeFileSync(`${dir}/img${i + 1}.png`, await image(...(rgb as [number, number, number])));
    const client = runPython(['test/fixtures/python/reconstruct_client.py', gw.url, dir]);
    expect(await client.exited()).toBe(0);
    expect(client.output()).toMatch(/Saved output\.glb \(\d+ bytes\)/);
    const glb = (await import('node:fs')).readFileSync(`${dir}/output.glb`);
    expect(readGlb(glb).points).toBe(3 * 64 * 48);
  }, 60_000);
});
