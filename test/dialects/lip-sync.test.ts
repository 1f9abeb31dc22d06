import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg } from '../../src/workers/programs.ts';
import { gatewayWithBuiltinWorkers } from '../helpers/builtin.ts';
import { ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts';
import { portrait } from '../helpers/portrait.ts';
import { runPython } from '../helpers/processes.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

const FFPROBE = join(createRequire(import.meta.url).resolve('@ffprobe-installer/linux-x64/package.json'), '..', 'ffprobe');
const FFMPEG = findFfmpeg();
const dir = mkdtempSync(join(tmpdir(), 'spaceport-lipsync-'));
let gw: TestGateway;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ gw, stop } = await gatewayWithBuiltinWorkers(['audio-image-to-video']));
}, 60_000);
afterAll(async () => {
  await stop?.();
  rmSync(dir, { recursive: true, force: true });
});

/** A mono 16 kHz 16-bit PCM WAV of a 440 Hz tone, made byte by byte; silent where `sounding(t)` is false. */
function wav(seconds: number, sounding: (t: number) => boolean = () => true): Buffer {
  const rate = 16_000;
  const samples = Math.round(seconds * rate);
  const out = Buffer.alloc(44 + samples * 2);
  out.write('RIFF', 0);
  out.writeUInt32LE(36 + samples * 2, 4);
  out.write('WAVEfmt ', 8);
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36);
  out.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) out.writeInt16LE(sounding(i / rate) ? Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12_000) : 0, 44 + i * 2);
  return out;
}

const face = () => portrait(320);
const noFace = () =>
  sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 160, b: 120 } } })
    .jpeg()
    .toBuffer();

/** The video's frame at `seconds`, as grey levels (ffmpeg decodes it). */
function greyFrame(video: string, seconds: number, width: number, height: number): Buffer {
  const out = execFileSync(FFMPEG!, ['-v', 'error', '-ss', String(seconds), '-i', video, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { maxBuffer: 64 * 1024 * 1024 });
  expect(out.length).toBe(width * height);
  return out;
}

/** The mean difference of two grey frames inside a box [x, y, width, height]. */
function differenceIn(a: Buffer, b: Buffer, width: number, [x0, y0, w, h]: number[]): number {
  let sum = 0;
  for (let y = y0!; y < y0! + h!; y++) for (let x = x0!; x < x0! + w!; x++) sum += Math.abs(a[y * width + x]! - b[y * width + x]!);
  return sum / (w! * h!);
}

async function lipSync(): Promise<WsPeer> {
  const ws = await WsPeer.open(`${gw.ws}/ws/lip-sync`);
  await ws.wait('connection', (m) => m.type === 'connection');
  return ws;
}

function probe(video: Buffer): { duration: number; codec: string; width: number; height: number; audio: boolean } {
  const file = join(dir, `probe-${Date.now()}.mp4`);
  writeFileSync(file, video);
  const info = JSON.parse(execFileSync(FFPROBE, ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file], { encoding: 'utf8' }));
  const v = info.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
  return {
    duration: Number(info.format.duration),
    codec: v.codec_name,
    width: v.width,
    height: v.height,
    audio: info.streams.some((s: { codec_type: string }) => s.codec_type === 'audio'),
  };
}

describe('lip-sync dialect (/ws/lip-sync)', () => {
  it('greets, then turns audio + image into an MP4 with progress and every documented result field', async () => {
    const ws = await lipSync();
    expect(ws.of('connection')[0]).toMatchObject({ type: 'connection', status: 'connected' });
    expect(ws.of('connection')[0]!.client_id).toBeTruthy();
    expect(typeof ws.of('connection')[0]!.message).toBe('string');
    ws.send({
      type: 'process',
      audio_base64: wav(2).toString('base64'),
      image_base64: (await face()).toString('base64'),
      options: { model_type: 'nota_wav2lip', resize_factor: 2 },
    });
    const result = await ws.wait('result', (m) => m.type === 'result' || m.type === 'error', 60_000);
    expect(result.type).toBe('result');
    for (const field of ['job_id', 'video_base64', 'video_size', 'processing_time', 'model_used', 'inference_fps', 'frames_processed', 'timestamp']) expect(result).toHaveProperty(field);
    const video = Buffer.from(result.video_base64, 'base64');
    expect(result.video_size).toBe(video.length);
    expect(result.model_used).toContain('mouth warp');
    expect(result.model_used).not.toContain('Wav2Lip');
    expect(result.frames_processed).toBeGreaterThanOrEqual(49);
    expect(result.frames_processed).toBeLessThanOrEqual(51);
    // The MP4 plays: ffprobe reads an H.264 video as long as the audio, at half the image size.
    const info = probe(video);
    expect(info.codec).toBe('h264');
    expect(info.audio).toBe(true);
    expect(Math.abs(info.duration - 2)).toBeLessThan(0.15);
    expect([info.width, info.height]).toEqual([160, 160]);
    // Progress went from 0 to 100, never backwards, with a message and a unix timestamp.
    const progress = ws.of('progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
    expect(progress.at(-1)!.progress).toBe(100);
    expect(progress.every((p) => typeof p.message === 'string' && Number.isInteger(p.timestamp) && p.timestamp > 1.7e9)).toBe(true);
    ws.close();
  }, 70_000);

  it('opens the mouth while the audio sounds and keeps it shut while it is silent', async () => {
    const ws = await lipSync();
    // A second of tone, a second of silence, a second of tone.
    const audio = wav(3, (t) => t < 1 || t >= 2);
    ws.send({ type: 'process', audio_base64: audio.toString('base64'), image_base64: (await face()).toString('base64') });
    const result = await ws.wait('result', (m) => m.type === 'result' || m.type === 'error', 60_000);
    expect(result.type).toBe('result');
    const file = join(dir, 'speaking.mp4');
    writeFileSync(file, Buffer.from(result.video_base64, 'base64'));
    // The still portrait, as the video shows it where nothing moves: its first silent stretch's middle.
    const [sound1, silence, sound2] = [0.5, 1.6, 2.5].map((t) => greyFrame(file, t, 320, 320));
    const mouth = [100, 175, 120, 90]; // around the lips and jaw of this portrait (320 × 320)
    const forehead = [100, 20, 120, 60];
    expect(differenceIn(sound1!, silence!, 320, mouth)).toBeGreaterThan(8);
    expect(differenceIn(sound2!, silence!, 320, mouth)).toBeGreaterThan(8);
    expect(differenceIn(sound1!, sound2!, 320, mouth)).toBeLessThan(4); // the same tone opens it the same
    expect(differenceIn(sound1!, silence!, 320, forehead)).toBeLessThan(2); // only the mouth moves
    // The still image itself, at the silent frame: nothing but encoding noise.
    const still = await sharp(await face())
      .greyscale()
      .raw()
      .toBuffer();
    expect(differenceIn(still, silence!, 320, mouth)).toBeLessThan(4);
    ws.close();
  }, 70_000);

  it('shuts the lips on M, B and P and rounds them on OO and W, from the phones PocketSphinx hears (the native API shows the counts)', async () => {
    // Speech with plenty of both, spoken by flite (installed with pocketsphinx by scripts/setup.sh).
    const speech = join(dir, 'speech.wav');
    execFileSync('flite', ['-voice', 'slt', '-t', 'Bob bought my mum a map. Who knew you would go too?', '-o', speech]);
    const client = await gw.client(ADMIN_TOKEN);
    client.send({
      type: 'submit',
      space: 'audio-image-to-video',
      files: [
        { name: 'face.jpg', mime: 'image/jpeg', data: (await face()).toString('base64') },
        { name: 'speech.wav', mime: 'audio/wav', data: readFileSync(speech).toString('base64') },
      ],
    });
    const result = await client.wait('result', (m) => m.type === 'result' || m.type === 'failed', 60_000);
    expect(result.type).toBe('result');
    expect(result.data.visemes).toContain('PocketSphinx');
    expect(result.data.closed_frames).toBeGreaterThan(3);
    expect(result.data.rounded_frames).toBeGreaterThan(3);
    expect(result.data.mouth_open_frames).toBeGreaterThan(result.data.closed_frames);
    client.close();
  }, 70_000);

  it('says validation_error when the image has no face', async () => {
    const ws = await lipSync();
    ws.send({ type: 'process', audio_base64: wav(1).toString('base64'), image_base64: (await noFace()).toString('base64') });
    const error = await ws.wait('error', (m) => m.type === 'error', 60_000);
    expect(error).toMatchObject({ error_type: 'validation_error' });
    expect(error.message).toContain('no face');
    ws.close();
  }, 70_000);

  it('refuses a second task while one runs (task_running), cancels it (cancelled), and says when there is nothing to cancel (info)', async () => {
    const ws = await lipSync();
    ws.send({ type: 'cancel' });
    expect((await ws.wait('info', (m) => m.type === 'info')).message).toBe('No active processing to cancel');
    const audio = wav(30).toString('base64');
    const image = (await face()).toString('base64');
    ws.send({ type: 'process', audio_base64: audio, image_base64: image });
    ws.send({ type: 'process', audio_base64: audio, image_base64: image });
    expect(await ws.wait('task_running', (m) => m.type === 'error')).toMatchObject({ error_type: 'task_running' });
    await ws.wait('some progress', (m) => m.type === 'progress');
    ws.send({ type: 'cancel' });
    expect(await ws.wait('cancelled', (m) => m.type === 'cancelled', 20_000)).toMatchObject({ message: 'Processing cancelled' });
    expect(ws.of('result')).toHaveLength(0);
    ws.close();
  }, 30_000);

  it('answers bad input with the documented error types and keeps the connection', async () => {
    const ws = await lipSync();
    ws.send('{"type": "process",');
    ws.send({ type: 'process', image_base64: 'aGk=' });
    ws.send({ type: 'process', audio_base64: wav(1).toString('base64'), image_base64: (await face()).toString('base64'), options: { resize_factor: 3 } });
    ws.send({ type: 'process', audio_base64: 'not base64!!', image_base64: (await face()).toString('base64') });
    await ws.wait('four errors', (m) => m.type === 'error' && ws.of('error').length === 4);
    const [json, missing, option, b64] = ws.of('error');
    expect(json).toMatchObject({ error_type: 'json_error' });
    expect(missing).toMatchObject({ error_type: 'validation_error', message: 'Missing required fields: audio_base64' });
    expect(option).toMatchObject({ error_type: 'validation_error' });
    expect(option!.message).toContain('resize_factor');
    expect(b64).toMatchObject({ error_type: 'validation_error', message: 'audio_base64 is not valid base64' });
    ws.send({ type: 'ping' });
    const pong = await ws.wait('pong', (m) => m.type === 'pong');
    expect(Number.isInteger(pong.timestamp)).toBe(true);
    ws.close();
  });

  it('serves GET /ws/health and the browser test page at /websocket-test', async () => {
    const ws = await lipSync();
    const health = (await gw.http('GET', '/ws/health')).body;
    expect(Object.keys(health).sort()).toEqual(['active_connections', 'processing_tasks', 'services_initialized', 'status']);
    expect(health).toMatchObject({ status: 'healthy', processing_tasks: 0, services_initialized: true });
    expect(health.active_connections).toBeGreaterThanOrEqual(1);
    const page = await fetch(`${gw.url}/websocket-test`);
    expect(await page.text()).toContain('/ws/lip-sync');
    ws.close();
  });

  it('works from a Python client written like the document example', async () => {
    writeFileSync(join(dir, 'audio.wav'), wav(1));
    writeFileSync(join(dir, 'person.jpg'), await face());
    const client = runPython(['test/fixtures/python/lip_sync_client.py', `${gw.ws}/ws/lip-sync`, join(dir, 'audio.wav'), join(dir, 'person.jpg'), join(dir, 'result.mp4')]);
    expect(await client.exited()).toBe(0);
    expect(client.output()).toContain('Processing completed!');
    expect(Math.abs(probe(readFileSync(join(dir, 'result.mp4'))).duration - 1)).toBeLessThan(0.15);
  }, 60_000);
});
