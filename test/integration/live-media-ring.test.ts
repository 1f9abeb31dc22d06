import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../src/protocol/binary-frame.ts';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';

let gw: TestGateway;

beforeAll(async () => {
  // A ring of 1 MiB that ~14 MB of frames go round many times, and room to queue them all for a
  // reader that is not reading. The worker's heartbeats queue behind its 14 MB, which a loaded
  // machine can take longer than the tests' usual 1.5 s lease to read: a longer one here.
  gw = await testGateway({ liveMediaBytes: 1024 * 1024, limits: { maxOutboundBytes: 64 * 1024 * 1024 }, core: { leaseMs: 20_000 } });
  await gw.createSpace({ name: 'video', inputs: ['prompt'] });
});
afterAll(() => gw.stop());

const frameBytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + 11) % 256));

describe('live media read into the ring and lent to sockets', () => {
  it('pushes every frame intact to a reader that stalls while newer frames go round the ring many times', async () => {
    const worker = await gw.worker(['video']);
    const stalled = await gw.client();
    const watcher = await gw.client();
    stalled.send({ type: 'submit', id: 'clip', space: 'video', prompt: 'clip', push_files: true });
    const { job } = await stalled.wait('accepted', (m) => m.type === 'accepted' && m.id === 'clip');
    watcher.send({ type: 'subscribe', id: 'w', topic: `job:${job}` });
    await watcher.wait('ack', (m) => m.type === 'ack' && m.of === 'subscribe');
    await worker.next('job', (m) => m.type === 'job' && m.job === job);
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    // Large frames (read straight into the ring), sizes that do not divide the ring evenly.
    const frames = Array.from({ length: 48 }, (_, i) => frameBytes(200_000 + ((i * 37_001) % 110_000), i + 3));
    worker.send({ type: 'started', job });
    for (const bytes of frames) {
      worker.send({ type: 'partial', job, files: [{ name: 'f.bin', mime: 'application/octet-stream', binary: true }] });
      worker.sendBinary(encodeFrame({ ref: job, index: 0 }, bytes));
    }
    worker.send({ type: 'result', job, data: null });
    await watcher.wait('result', (m) => m.type === 'result' && m.job === job);

    (stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await until('every pushed frame', () => stalled.binary.filter((f) => decodeFrame(f)!.header.ref === job).length === frames.length, 20_000);
    const pushed = stalled.binary.map((f) => decodeFrame(f)!).filter((f) => f.header.ref === job);
    expect(pushed.map((f, i) => f.payload.equals(frames[i]!))).toEqual(frames.map(() => true));
    expect(stalled.of('error')).toEqual([]);
    for (const peer of [worker, stalled, watcher]) peer.close();
  });
});
