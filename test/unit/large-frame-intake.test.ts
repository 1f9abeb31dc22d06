import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeFrame } from '../../src/protocol/binary-frame.ts';
import { LargeFrameIntake, takeLargeFrames } from '../../src/wire/fast/large-frame-intake.ts';

const MIN = 1024;
const MAX = 1024 * 1024;

/** What the server side saw, in order: ws's messages and the intake's frames in one log. */
type Seen = { via: 'ws'; text: string } | { via: 'ws'; binary: Buffer } | { via: 'intake'; ref: string | number; index: number; payload: Buffer } | { via: 'intake'; malformed: true };

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

async function server(): Promise<{ port: number; seen: Seen[] }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: MAX });
  await new Promise((resolve) => wss.once('listening', resolve));
  cleanup.push(() => wss.close());
  const seen: Seen[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer, isBinary) => seen.push(isBinary ? { via: 'ws', binary: Buffer.from(data) } : { via: 'ws', text: data.toString() }));
    ws.on('error', () => {});
    const taken = takeLargeFrames(ws, MIN, MAX, {
      open: (header, size) => (header.ref === 'refused' ? undefined : Buffer.alloc(size, 0xee)),
      filled: (header, payload) => seen.push({ via: 'intake', ref: header.ref, index: header.index, payload }),
      malformed: () => seen.push({ via: 'intake', malformed: true }),
    });
    expect(taken).toBe('shared'); // a plain TCP socket: read into the shared buffer
  });
  return { port: (wss.address() as AddressInfo).port, seen };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

/** A client frame by hand (RFC 6455 §5.2), masked with a random key. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + extra + 4);
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = 0x80 | (length < 126 ? length : length < 65536 ? 126 : 127);
  if (extra === 2) head.writeUInt16BE(length, 2);
  if (extra === 8) head.writeBigUInt64BE(BigInt(length), 2);
  const mask = randomBytes(4);
  mask.copy(head, 2 + extra);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= mask[i & 3]!;
  return Buffer.concat([head, masked]);
}

const file = (ref: string, index: number, size: number, seed: number) => Buffer.from(encodeFrame({ ref, index }, Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + seed) % 251))));

/** A raw TCP connection that has done the WebSocket handshake. */
async function rawClient(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  cleanup.push(() => socket.destroy());
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.setNoDelay(true);
  socket.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await new Promise<void>((resolve) => {
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  return socket;
}

describe('LargeFrameIntake: large binary frames read off the socket before ws', () => {
  it('takes large file frames and hands everything else to ws, all in the order sent', async () => {
    const { port, seen } = await server();
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    cleanup.push(() => client.terminate());
    await new Promise((resolve) => client.once('open', resolve));
    const big = file('job_1', 0, 300_000, 1);
    const small = file('job_1', 1, 100, 2);
    client.send('first');
    client.send(big);
    client.send(small); // under the threshold: ws's
    client.ping();
    client.send('between');
    client.send(file('job_2', 3, 5_000, 3));
    client.send(Buffer.alloc(2_000, 1)); // large, but not a file frame
    client.send(file('refused', 0, 4_000, 4)); // the sink says no: read past
    client.send(big.subarray(0, 1500), { fin: false }); // fragmented: ws's, however large
    client.send(big.subarray(1500), { fin: true });
    client.send('last');
    await until(() => seen.length === 8);
    const summary = seen.map((s) => ('text' in s ? s.text : 'binary' in s ? `ws:${s.binary.length}` : 'malformed' in s ? 'malformed' : `intake:${s.ref}/${s.index}`));
    expect(summary).toEqual(['first', 'intake:job_1/0', `ws:${small.length}`, 'between', 'intake:job_2/3', 'malformed', `ws:${big.length}`, 'last']);
    const payloads = seen.filter((s): s is Extract<Seen, { payload: Buffer }> => 'payload' in s);
    expect(payloads[0]!.payload.equals(big.subarray(big.length - 300_000))).toBe(true);
    expect(payloads[1]!.payload.equals(file('job_2', 3, 5_000, 3).subarray(-5_000))).toBe(true);
  });

  it('reads frames split anywhere across socket reads, headers and masks included', async () => {
    const { port, seen } = await server();
    const socket = await rawClient(port);
    const frames = [
      clientFrame(1, Buffer.from('hello')),
      clientFrame(2, file('a', 0, 70_000, 5)), // 64-bit lengths
      clientFrame(2, file('b', 1, 66_000, 6)),
      clientFrame(9, Buffer.from('ping')),
      clientFrame(2, file('c', 2, 1_500, 7)), // a 16-bit one
      clientFrame(1, Buffer.from('world')),
    ];
    const stream = Buffer.concat(frames);
    // Pieces of 1 to 40 bytes around every frame boundary, larger ones in between.
    let at = 0;
    let seed = 3;
    while (at < stream.length) {
      seed = (seed * 48271) % 2147483647;
      const piece = seed % 7 === 0 ? 1 + (seed % 40) : 1 + (seed % 9000);
      socket.write(stream.subarray(at, at + piece));
      at += piece;
      if (seed % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => seen.length === 5);
    const summary = seen.map((s) => ('text' in s ? s.text : 'payload' in s ? `${s.ref}/${s.index}:${s.payload.length}` : 'other'));
    expect(summary).toEqual(['hello', 'a/0:70000', 'b/1:66000', 'c/2:1500', 'world']);
    const payloads = seen.filter((s): s is Extract<Seen, { payload: Buffer }> => 'payload' in s);
    expect(payloads.map((p, i) => p.payload.equals(file(['a', 'b', 'c'][i]!, i, p.payload.length, 5 + i).subarray(-p.payload.length)))).toEqual([true, true, true]);
  });

  it('hands ws exactly the bytes of its frames, in order, wherever the reads split the stream', () => {
    // Straight into the intake, so every split point is tried (TCP would merge the pieces).
    const frames: Array<{ bytes: Buffer; ours?: { ref: string; payload: Buffer } }> = [];
    const add = (bytes: Buffer, ours?: { ref: string; payload: Buffer }) => frames.push({ bytes, ours });
    const fileFrame = (ref: string, size: number) => {
      const whole = file(ref, 0, size, size);
      add(clientFrame(2, whole), { ref, payload: whole.subarray(whole.length - size) });
    };
    add(clientFrame(1, Buffer.from('hi')));
    fileFrame('a', 1_200);
    add(clientFrame(9, Buffer.alloc(0)));
    add(clientFrame(2, Buffer.alloc(300, 4)));
    fileFrame('b', 70_000);
    add(clientFrame(2, Buffer.alloc(1_500, 5), false));
    add(clientFrame(0, Buffer.alloc(1_500, 6)));
    fileFrame('c', 1_100);
    add(clientFrame(1, Buffer.alloc(200, 0x41)));
    const stream = Buffer.concat(frames.map((f) => f.bytes));
    const wsBytesBefore = (i: number) => frames.slice(0, i).reduce((n, f) => n + (f.ours ? 0 : f.bytes.length), 0);
    const expected = frames.flatMap((f, i) => (f.ours ? [{ ref: f.ours.ref, wsBytesBefore: wsBytesBefore(i), payload: f.ours.payload }] : []));

    const run = (cuts: number[], borrowed = false) => {
      const toWs: Buffer[] = [];
      let forwarded = 0;
      const got: typeof expected = [];
      const intake = new LargeFrameIntake((chunk) => (toWs.push(chunk), (forwarded += chunk.length)), undefined, MIN, MAX, {
        open: (_header, size) => Buffer.alloc(size),
        filled: (header, payload) => got.push({ ref: String(header.ref), wsBytesBefore: forwarded, payload }),
        malformed: () => expect.fail('no frame here is malformed'),
      });
      let from = 0;
      for (const cut of [...cuts, stream.length]) {
        if (!borrowed) intake.read(stream.subarray(from, cut));
        else {
          // As from the shared read buffer: overwritten as soon as the read is handled.
          const read = Buffer.from(stream.subarray(from, cut));
          intake.read(read, true);
          read.fill(0xaa);
        }
        from = cut;
      }
      const wsStream = Buffer.concat(frames.filter((f) => !f.ours).map((f) => f.bytes));
      if (!Buffer.concat(toWs).equals(wsStream)) expect.fail(`ws got the wrong bytes with cuts at ${cuts.join(',')}`);
      expect(got.map((g) => [g.ref, g.wsBytesBefore])).toEqual(expected.map((e) => [e.ref, e.wsBytesBefore]));
      if (got.some((g, i) => !g.payload.equals(expected[i]!.payload))) expect.fail(`a payload was read wrong with cuts at ${cuts.join(',')}`);
    };
    for (let cut = 1; cut < 4_000; cut++) run([cut], cut % 2 === 0); // every split through the first frames' headers and prefixes
    let seed = 11;
    for (let i = 0; i < 300; i++) {
      const cuts: number[] = [];
      for (let at = 0; ; ) {
        seed = (seed * 48271) % 2147483647;
        at += 1 + (seed % (seed % 5 === 0 ? 16 : 5_000));
        if (at >= stream.length) break;
        cuts.push(at);
      }
      run(cuts, i % 2 === 0);
    }
  });

  it('reads the rest of a large payload straight into its memory when reading as Node does with a user buffer', () => {
    // Node's onread contract, played by hand: each read fills the buffer the last callback asked
    // for (or the shared one) with as many bytes as the "kernel" has, at most its length.
    const frames = [
      clientFrame(1, Buffer.from('hi')),
      clientFrame(2, file('a', 0, 300_000, 1)),
      clientFrame(9, Buffer.alloc(0)),
      clientFrame(2, file('b', 1, 70_000, 2)),
      clientFrame(1, Buffer.from('end')),
    ];
    const stream = Buffer.concat(frames);
    for (let seed = 1; seed <= 40; seed++) {
      const toWs: Buffer[] = [];
      const got: Array<{ ref: string; payload: Buffer }> = [];
      const memories: Buffer[] = [];
      const intake = new LargeFrameIntake((chunk) => toWs.push(chunk), undefined, MIN, MAX, {
        open: (_header, size) => (memories.push(Buffer.alloc(size)), memories.at(-1)!),
        filled: (header, payload) => got.push({ ref: String(header.ref), payload }),
        malformed: () => expect.fail('no frame here is malformed'),
      });
      const shared = Buffer.alloc(64 * 1024);
      let next: Buffer | undefined;
      let direct = 0;
      let r = seed;
      for (let at = 0; at < stream.length; ) {
        const into = next ?? shared;
        r = (r * 48271) % 2147483647;
        const nread = Math.min(into.length, stream.length - at, 1 + (r % 40_000));
        stream.copy(into, 0, at, at + nread);
        if (into !== shared) direct += nread;
        at += nread;
        next = intake.readShared(nread, into);
        shared.fill(0xaa); // the next read overwrites it
      }
      expect(Buffer.concat(toWs).equals(Buffer.concat([frames[0]!, frames[2]!, frames[4]!]))).toBe(true);
      expect(got.map((g) => g.ref)).toEqual(['a', 'b']);
      expect(got[0]!.payload.equals(file('a', 0, 300_000, 1).subarray(-300_000))).toBe(true);
      expect(got[1]!.payload.equals(file('b', 1, 70_000, 2).subarray(-70_000))).toBe(true);
      expect(direct).toBeGreaterThan(200_000); // most of the payloads never went through the shared buffer
    }
  });

  it('reports a large frame that is not a file frame, and leaves oversized ones to ws (which closes with 1009)', async () => {
    const { port, seen } = await server();
    const socket = await rawClient(port);
    const badHeader = Buffer.alloc(4_000, 0x20);
    badHeader.writeUInt32BE(10, 0); // ten bytes of spaces: not JSON
    socket.write(clientFrame(2, badHeader));
    socket.write(clientFrame(1, Buffer.from('still open')));
    await until(() => seen.length === 2);
    expect(seen.map((s) => ('text' in s ? s.text : 'malformed' in s ? 'malformed' : 'other'))).toEqual(['malformed', 'still open']);
    const closeFrame = new Promise<Buffer>((resolve) => socket.on('data', (d: Buffer) => d[0] === 0x88 && resolve(d)));
    socket.write(clientFrame(2, file('x', 0, MAX + 10, 1)));
    expect((await closeFrame).readUInt16BE(2)).toBe(1009); // ws's close frame: Message Too Big
  });
});
