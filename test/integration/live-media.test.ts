import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../src/protocol/binary-frame.ts';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import type { Msg, WsPeer } from '../helpers/ws-peer.ts';

let gw: TestGateway;

beforeAll(async () => {
  // A small window, so the test can push media out of it.
  gw = await testGateway({ liveMediaBytes: 64 * 1024 });
  await gw.createSpace({ name: 'video', inputs: ['prompt'] });
});
afterAll(() => gw.stop());

/** Every peer a test opens, closed after it (pass or fail: a worker left open would take the next test's job). */
const opened: WsPeer[] = [];
afterEach(() => {
  for (const peer of opened.splice(0)) peer.close();
});
async function open<T extends WsPeer>(peer: Promise<T>): Promise<T> {
  opened.push(await peer);
  return opened.at(-1) as T;
}

const frameBytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + 11) % 256));

/** The worker streams one partial with a binary file: the JSON, then its frame. */
function sendFrame(worker: WsPeer, job: string, bytes: Buffer, data?: unknown): void {
  worker.send({ type: 'partial', job, ...(data !== undefined && { data }), files: [{ name: 'frame.jpg', mime: 'image/jpeg', binary: true }] });
  worker.sendBinary(encodeFrame({ ref: job, index: 0 }, bytes));
}

/** What arrived for a job: each event (or error about one) as `type:seq`, each frame as `frame:<seq>:<index>:<size>`. */
function sequence(peer: WsPeer, job: string): string[] {
  return peer.received.flatMap((item) => {
    if (Buffer.isBuffer(item)) {
      const { header, payload } = decodeFrame(item)!;
      return header.ref === job ? [`frame:${header.seq}:${header.index}:${payload.length}`] : [];
    }
    const m = item as Msg;
    return m.job === job && typeof m.seq === 'number' ? [`${m.type}:${m.seq}`] : [];
  });
}

async function startJob(client: WsPeer, worker: WsPeer, id: string, push = true): Promise<string> {
  client.send({ type: 'submit', id, space: 'video', prompt: 'clip', ...(push && { push_files: true }) });
  const accepted = await client.wait('accepted', (m) => m.type === 'accepted' && m.id === id);
  await worker.next('job', (m) => m.type === 'job' && m.job === accepted.job);
  worker.send({ type: 'started', job: accepted.job });
  return accepted.job;
}

describe('live media: binary partials', () => {
  it('relays each partial file right after its event, byte for byte and in order with the other events', async () => {
    const worker = await open(gw.worker(['video']));
    const client = await open(gw.client());
    const job = await startJob(client, worker, 'clip-1');
    const first = frameBytes(5000, 7);
    const second = frameBytes(9000, 13);
    sendFrame(worker, job, first, { frame: 1 });
    worker.send({ type: 'token', job, text: 'between' });
    sendFrame(worker, job, second);
    worker.send({ type: 'result', job, data: { frames: 2 } });
    await client.wait('result', (m) => m.type === 'result' && m.job === job);

    expect(sequence(client, job)).toEqual(['queued:1', 'started:2', 'partial:3', 'frame:3:0:5000', 'token:4', 'partial:5', 'frame:5:0:9000', 'result:6']);
    const partial = client.of('partial', job)[0]!;
    expect(partial.data).toEqual({ frame: 1 });
    expect(partial.files).toEqual([{ id: expect.stringMatching(/^blob_/), name: 'frame.jpg', mime: 'image/jpeg', size: 5000, url: `/v1/blobs/${partial.files[0].id}` }]);
    const frames = client.binary.map((f) => decodeFrame(f)!).filter((f) => f.header.ref === job);
    expect(frames[0]!.header).toEqual({ ref: job, seq: 3, index: 0, blob: partial.files[0].id, name: 'frame.jpg', mime: 'image/jpeg', size: 5000 });
    expect(frames[0]!.payload.equals(first)).toBe(true);
    expect(frames[1]!.payload.equals(second)).toBe(true);

    // Held a while: the url serves it, and a client without push_files sees the event and can fetch.
    const download = await fetch(gw.url + partial.files[0].url);
    expect(Buffer.from(await download.arrayBuffer()).equals(first)).toBe(true);
  });

  it('keeps a worker’s mixed stream in the order it was sent, files or not', async () => {
    const worker = await open(gw.worker(['video']));
    const client = await open(gw.client());
    const job = await startJob(client, worker, 'clip-mixed');
    for (let round = 0; round < 20; round++) {
      worker.send({ type: 'token', job, text: `t${round} ` });
      worker.send({ type: 'partial', job, data: { round } });
      worker.send({ type: 'progress', job, progress: round / 20 });
      if (round % 5 === 0) sendFrame(worker, job, frameBytes(2000 + round, round));
    }
    worker.send({ type: 'result', job });
    await client.wait('result', (m) => m.type === 'result' && m.job === job);
    const kinds = sequence(client, job).map((s) => s.split(':')[0]);
    const expected = ['queued', 'started'];
    for (let round = 0; round < 20; round++) expected.push('token', 'partial', 'progress', ...(round % 5 === 0 ? ['partial', 'frame'] : []));
    expected.push('result');
    expect(kinds).toEqual(expected);
    expect(
      client
        .of('token', job)
        .map((m) => m.text)
        .join(''),
    ).toBe(Array.from({ length: 20 }, (_, i) => `t${i} `).join(''));
  });

  it('replays the files with the events on resume, and sends none to a client that did not ask', async () => {
    const worker = await open(gw.worker(['video']));
    const submitter = await open(gw.client());
    const job = await startJob(submitter, worker, 'clip-2', false);
    const bytes = frameBytes(3000, 5);
    sendFrame(worker, job, bytes);
    worker.send({ type: 'result', job });
    await submitter.wait('result', (m) => m.type === 'result' && m.job === job);
    expect(submitter.binary).toHaveLength(0);
    expect(submitter.of('partial', job)[0]!.files[0].size).toBe(3000);

    const later = await open(gw.client());
    later.send({ type: 'resume', id: 'r', job, after_seq: 2, push_files: true });
    await later.wait('result', (m) => m.type === 'result' && m.job === job);
    expect(sequence(later, job)).toEqual(['partial:3', 'frame:3:0:3000', 'result:4']);
    expect(decodeFrame(later.binary[0]!)!.payload.equals(bytes)).toBe(true);
  });

  it('pushes the files of a result too, after the result event', async () => {
    const worker = await open(gw.worker(['video']));
    const client = await open(gw.client());
    const job = await startJob(client, worker, 'clip-3');
    const mp4 = frameBytes(20_000, 3);
    worker.send({ type: 'result', job, files: [{ name: 'clip.mp4', mime: 'video/mp4', binary: true }] });
    worker.sendBinary(encodeFrame({ ref: job, index: 0 }, mp4));
    await until('the pushed result file', () => client.binary.find((f) => decodeFrame(f)!.header.ref === job));
    expect(sequence(client, job)).toEqual(['queued:1', 'started:2', 'result:3', 'frame:3:0:20000']);
    expect(decodeFrame(client.binary.at(-1)!)!.payload.equals(mp4)).toBe(true);
  });

  it('reports blob_not_found for a file pushed out of the live window, and the event still comes', async () => {
    const worker = await open(gw.worker(['video']));
    const client = await open(gw.client());
    const job = await startJob(client, worker, 'clip-4', false);
    // 3 × 30 KB through a 64 KiB window: the first frame is gone by the end.
    for (let i = 1; i <= 3; i++) sendFrame(worker, job, frameBytes(30_000, i));
    worker.send({ type: 'result', job });
    await client.wait('result', (m) => m.type === 'result' && m.job === job);
    const firstFile = client.of('partial', job)[0]!.files[0];
    expect((await fetch(gw.url + firstFile.url)).status).toBe(404);

    const later = await open(gw.client());
    later.send({ type: 'subscribe', id: 's', topic: `job:${job}`, push_files: true });
    await later.wait('result', (m) => m.type === 'result' && m.job === job);
    const gone = later.of('error').find((m) => m.code === 'blob_not_found')!;
    expect(gone).toMatchObject({ job, seq: 3, index: 0, blob: firstFile.id });
    // The error stands where the frame would have been.
    expect(sequence(later, job)).toEqual(['queued:1', 'started:2', 'partial:3', 'error:3', 'partial:4', 'frame:4:0:30000', 'partial:5', 'frame:5:0:30000', 'result:6']);
  });

  it('refuses a partial file larger than the whole window with input_too_large, and the job goes on', async () => {
    const worker = await open(gw.worker(['video']));
    const client = await open(gw.client());
    const job = await startJob(client, worker, 'clip-5');
    sendFrame(worker, job, frameBytes(70_000, 9));
    const refused = await worker.wait('input_too_large', (m) => m.type === 'error' && m.code === 'input_too_large');
    expect(refused.message).toMatch(/live media/);
    sendFrame(worker, job, frameBytes(1000, 9));
    worker.send({ type: 'result', job });
    await client.wait('result', (m) => m.type === 'result' && m.job === job);
    expect(sequence(client, job)).toEqual(['queued:1', 'started:2', 'partial:3', 'frame:3:0:1000', 'result:4']);
  });
});
