import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayWithBuiltinWorkers } from '../helpers/builtin.ts';
import { ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts';
import { runPython } from '../helpers/processes.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

// Driven as shared/seeds/002 shows: a socket on /ws/<client_id>, send_frame with base64 image
// data, results arriving asynchronously. OCR and motion are the real built-in plugins.
let gw: TestGateway;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ gw, stop } = await gatewayWithBuiltinWorkers(['ocr', 'motion_detector']));
}, 60_000);
afterAll(async () => {
  await stop?.();
});

/** Black text on white, rendered by sharp (librsvg + pango): a real image with known text. */
async function textImage(text: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="160"><rect width="100%" height="100%" fill="white"/><text x="24" y="100" font-family="DejaVu Sans" font-size="52" fill="black">${text}</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A grey 320×240 frame with a dark square at (x, y). */
async function squareFrame(x: number, y: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240"><rect width="100%" height="100%" fill="#888"/><rect x="${x}" y="${y}" width="40" height="40" fill="#111"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const frames = (clientId: string) => WsPeer.open(`${gw.ws}/ws/${clientId}`);
const b64 = (b: Buffer) => b.toString('base64');

describe('frames dialect (/ws/{client_id})', () => {
  it('runs OCR on a frame: job_update pending → processing → completed, and frame_result with the text', async () => {
    const ws = await frames('client_ocr');
    ws.send({
      type: 'send_frame',
      frame_id: 'frame_001',
      image_data: b64(await textImage('Spaceport reads 2048')),
      plugin: 'ocr',
      options: { threshold: 0.3 },
    });
    const result = await ws.wait('frame_result', (m) => m.type === 'frame_result', 30_000);
    expect(result).toMatchObject({ type: 'frame_result', frame_id: 'frame_001', plugin: 'ocr', status: 'success' });
    expect(result.job_id).toMatch(/^job_/);
    expect(result.result.text).toContain('Spaceport');
    expect(result.result.text).toContain('2048');
    expect(result.result.confidence).toBeGreaterThan(0.5);
    expect(typeof result.processing_time_ms).toBe('number');
    expect(new Date(result.timestamp).toISOString()).toBe(result.timestamp);
    await ws.wait('completed', (m) => m.type === 'job_update' && m.status === 'completed');
    const statuses = ws.of('job_update').map((m) => m.status);
    expect(statuses[0]).toBe('pending');
    expect(statuses).toContain('processing');
    expect(statuses.at(-1)).toBe('completed');
    const updates = ws.of('job_update');
    expect(updates.every((u) => u.job_id === result.job_id && u.frame_id === 'frame_001' && u.plugin === 'ocr' && typeof u.progress_percent === 'number' && u.timestamp)).toBe(true);
    expect(updates.at(-1)!.progress_percent).toBe(100);
    ws.close();
  });

  it('detects motion between two frames of the same client, with the box around it', async () => {
    const ws = await frames('client_cam');
    ws.send({ type: 'send_frame', frame_id: 'f1', image_data: b64(await squareFrame(40, 40)), plugin: 'motion_detector' });
    ws.send({ type: 'send_frame', frame_id: 'f2', image_data: b64(await squareFrame(200, 150)), plugin: 'motion_detector' });
    await ws.wait('two results', (m) => m.type === 'frame_result' && ws.of('frame_result').length === 2, 30_000);
    const first = ws.of('frame_result').find((r) => r.frame_id === 'f1')!;
    const second = ws.of('frame_result').find((r) => r.frame_id === 'f2')!;
    expect(first.result).toMatchObject({ first_frame: true, motion_detected: false });
    expect(second.result.motion_detected).toBe(true);
    // Two 40×40 squares changed out of 320×240: about 4% of the pixels.
    expect(second.result.changed_fraction).toBeGreaterThan(0.03);
    expect(second.result.changed_fraction).toBeLessThan(0.06);
    expect(second.result.bbox).toMatchObject({ x: 40, y: 40, width: 200, height: 150 });
    ws.close();
  });

  it('sends the documented error codes: INVALID_IMAGE, PLUGIN_NOT_FOUND, INVALID_OPTIONS', async () => {
    const ws = await frames('client_errors');
    ws.send({ type: 'send_frame', frame_id: 'tiny', image_data: b64(Buffer.alloc(50, 1)), plugin: 'ocr' });
    ws.send({ type: 'send_frame', frame_id: 'nope', image_data: b64(await squareFrame(0, 0)), plugin: 'face_swap' });
    ws.send({ type: 'send_frame', frame_id: 'opts', image_data: b64(await squareFrame(0, 0)), plugin: 'ocr', options: 'fast' });
    ws.send({ type: 'send_frame', frame_id: 'range', image_data: b64(await squareFrame(0, 0)), plugin: 'motion_detector', options: { threshold: 7 } });
    await ws.wait('four errors', (m) => m.type === 'error' && ws.of('error').length === 4, 30_000);
    const byFrame = Object.fromEntries(ws.of('error').map((e) => [e.frame_id, e]));
    expect(byFrame.tiny).toMatchObject({ error_code: 'INVALID_IMAGE', plugin: 'ocr', message: 'Image too small (50 bytes)' });
    expect(byFrame.nope).toMatchObject({ error_code: 'PLUGIN_NOT_FOUND', plugin: 'face_swap' });
    expect(byFrame.opts).toMatchObject({ error_code: 'INVALID_OPTIONS' });
    expect(byFrame.range).toMatchObject({ error_code: 'INVALID_OPTIONS', plugin: 'motion_detector' });
    for (const e of ws.of('error')) expect(new Date(e.timestamp).toISOString()).toBe(e.timestamp);
    ws.close();
  });

  it('reports PLUGIN_ERROR when a plugin fails and PROCESSING_TIMEOUT when it takes too long', async () => {
    await gw.createSpace({ name: 'flaky', inputs: ['image'], timeout_s: 2 });
    const worker = await gw.worker(['flaky']);
    const ws = await frames('client_flaky');
    ws.send({ type: 'send_frame', frame_id: 'boom', image_data: b64(await squareFrame(5, 5)), plugin: 'flaky' });
    const job = await worker.wait('job', (m) => m.type === 'job');
    worker.send({ type: 'error', job: job.job, message: 'model crashed' });
    const failed = await ws.wait('plugin error', (m) => m.type === 'error' && m.frame_id === 'boom');
    expect(failed).toMatchObject({ error_code: 'PLUGIN_ERROR', message: 'model crashed', plugin: 'flaky' });
    await ws.wait('failed update', (m) => m.type === 'job_update' && m.status === 'failed');
    ws.send({ type: 'send_frame', frame_id: 'slow', image_data: b64(await squareFrame(5, 5)), plugin: 'flaky' });
    await worker.wait('second job', (m) => m.type === 'job' && m.job !== job.job);
    const timeout = await ws.wait('timeout', (m) => m.type === 'error' && m.frame_id === 'slow', 10_000);
    expect(timeout.error_code).toBe('PROCESSING_TIMEOUT');
    worker.close();
    ws.close();
  }, 20_000);

  it('broadcasts a public space’s frames to anonymous subscribers of plugin_<name> and all, as the document’s topics do', async () => {
    // Two browsers, neither signed in: one sends, the others watch (the demo image spaces are public).
    const watcher = await frames('anon_watcher');
    const everything = await frames('anon_all');
    watcher.send({ type: 'subscribe', topic: 'plugin_motion_detector' });
    everything.send({ type: 'subscribe', topic: 'all' });
    await new Promise((r) => setTimeout(r, 100)); // the document's subscribe has no acknowledgement
    const sender = await frames('anon_sender');
    sender.send({ type: 'send_frame', frame_id: 'broadcast', image_data: b64(await squareFrame(30, 30)), plugin: 'motion_detector' });
    const mine = await sender.wait('own result', (m) => m.type === 'frame_result' && m.frame_id === 'broadcast', 30_000);
    for (const peer of [watcher, everything]) {
      const seen = await peer.wait('the frame result', (m) => m.type === 'frame_result' && m.frame_id === 'broadcast', 30_000);
      expect(seen).toMatchObject({ job_id: mine.job_id, plugin: 'motion_detector', status: 'success' });
      const done = await peer.wait('completed', (m) => m.type === 'job_update' && m.job_id === mine.job_id && m.status === 'completed');
      expect(done).toMatchObject({ frame_id: 'broadcast', progress_percent: 100 });
    }
    for (const peer of [watcher, everything, sender]) peer.close();
  });

  it('keeps an owner-only space’s frames from other anonymous subscribers', async () => {
    await gw.createSpace({ name: 'private_plugin', inputs: ['image'] }); // visibility: owner, the default
    const worker = await gw.worker(['private_plugin']);
    const watcher = await frames('anon_watcher_private');
    watcher.send({ type: 'subscribe', topic: 'plugin_private_plugin' });
    watcher.send({ type: 'subscribe', topic: 'all' });
    await new Promise((r) => setTimeout(r, 100));
    const sender = await frames('anon_sender_private');
    sender.send({ type: 'send_frame', frame_id: 'secret', image_data: b64(await squareFrame(5, 5)), plugin: 'private_plugin' });
    const job = await worker.wait('job', (m) => m.type === 'job');
    worker.send({ type: 'result', job: job.job, data: { seen: true } });
    await sender.wait('own result', (m) => m.type === 'frame_result' && m.frame_id === 'secret');
    await watcher.settled();
    expect(watcher.messages.filter((m) => m.frame_id === 'secret' || m.job_id === job.job)).toEqual([]);
    for (const peer of [watcher, sender, worker]) peer.close();
  });

  it('delivers to subscribers of job_<id> and plugin_<name> (jobs they may see)', async () => {
    const watcher = await WsPeer.open(`${gw.ws}/ws/watcher`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    watcher.send({ type: 'subscribe', topic: 'plugin_motion_detector' });
    const sender = await WsPeer.open(`${gw.ws}/ws/sender`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    await new Promise((r) => setTimeout(r, 100));
    sender.send({ type: 'send_frame', frame_id: 'watched', image_data: b64(await squareFrame(10, 10)), plugin: 'motion_detector' });
    const seen = await watcher.wait('the frame result via plugin_ topic', (m) => m.type === 'frame_result' && m.frame_id === 'watched', 30_000);
    expect(seen.plugin).toBe('motion_detector');
    // A job topic, in the document's form job_<job_id> (our ids already start with job_).
    const other = await WsPeer.open(`${gw.ws}/ws/other`, { authorization: `Bearer ${ADMIN_TOKEN}` });
    sender.send({ type: 'send_frame', frame_id: 'slow-ocr', image_data: b64(await textImage('topic test')), plugin: 'ocr' });
    const pending = await sender.wait('pending', (m) => m.type === 'job_update' && m.frame_id === 'slow-ocr');
    other.send({ type: 'subscribe', topic: `job_${pending.job_id}` });
    const viaJob = await other.wait('result via job topic', (m) => m.type === 'frame_result' && m.frame_id === 'slow-ocr', 30_000);
    expect(viaJob.job_id).toBe(pending.job_id);
    for (const p of [watcher, sender, other]) p.close();
  });

  it('lists the plugins at GET /v1/plugins', async () => {
    const { body } = await gw.http('GET', '/v1/plugins');
    const names = body.plugins.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['ocr', 'motion_detector']));
    expect(body.plugins.find((p: { name: string }) => p.name === 'ocr')).toMatchObject({ available: true });
  });

  it('works from a Python client (standard library WebSocket)', async () => {
    const image = await textImage('Python frame 77');
    const client = runPython(['test/fixtures/python/frames_client.py', `${gw.ws}/ws/py_client`, image.toString('base64')]);
    expect(await client.exited()).toBe(0);
    const out = JSON.parse(client.output().trim().split('\n').at(-1)!);
    expect(out.result.type).toBe('frame_result');
    expect(out.result.result.text).toContain('77');
    expect(out.updates[0]).toBe('pending');
    expect(out.updates.at(-1)).toBe('completed');
    expect(out.error.error_code).toBe('PLUGIN_NOT_FOUND');
  }, 30_000);
});
