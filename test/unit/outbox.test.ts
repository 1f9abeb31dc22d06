import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Outbox } from '../../src/wire/fast/outbox.ts';
import { isLent, lend } from '../../src/protocol/lent-bytes.ts';

/** A real ws server whose first connection writes through an Outbox, and a real ws client reading it. */
async function connected(): Promise<{ outbox: Outbox; server: WebSocket; client: WebSocket; received: Array<string | Buffer>; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  await new Promise((resolve) => wss.once('listening', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: false });
  const received: Array<string | Buffer> = [];
  client.on('message', (data: Buffer, isBinary) => received.push(isBinary ? data : data.toString('utf8')));
  await new Promise((resolve) => client.once('open', resolve));
  const server = await serverSide;
  const outbox = new Outbox((server as unknown as { _socket: ConstructorParameters<typeof Outbox>[0] })._socket, server);
  return {
    outbox,
    server,
    client,
    received,
    close: async () => {
      client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

let open: Awaited<ReturnType<typeof connected>> | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('Outbox: frames written straight to the socket', () => {
  it('delivers text of every header size and binary in parts, in order, as a standard client reads them', async () => {
    open = await connected();
    // UTF-8 lengths at each header size's edges (7-bit, 16-bit, 64-bit), then text whose UTF-8
    // length crosses an edge its UTF-16 length does not (the header must count bytes).
    const ascii = [0, 1, 125, 126, 65535, 65536, 70_000].map((n, i) => String(i).padEnd(n, 'x').slice(0, n));
    const texts = [...ascii, 'é'.repeat(63), '🙂'.repeat(16_384)];
    const small = [Buffer.from([0, 0, 0, 2]), Buffer.from('{}'), Buffer.from([1, 2, 3])];
    const big = [Buffer.from([9, 9]), Buffer.alloc(200 * 1024, 7), Buffer.from([5]), Buffer.alloc(100 * 1024, 3)];
    for (const t of texts) open.outbox.add(t);
    open.outbox.add(small);
    open.outbox.add(big);
    open.outbox.add('after the big one');
    expect(open.received).toEqual([]); // nothing leaves before the end of the burst
    const messages = texts.length + 3;
    await until(() => open!.received.length === messages);
    // Compared as booleans: a failure's diff of 70,000 characters would bury the report.
    expect(open.received.slice(0, texts.length).map((t, i) => t === texts[i])).toEqual(texts.map(() => true));
    const [first, second, last] = open.received.slice(texts.length);
    expect(first).toEqual(Buffer.concat(small));
    expect(second).toEqual(Buffer.concat(big));
    expect(last).toBe('after the big one');
  });

  it('writes at once on drain, counts what waits as buffered, and drops what comes after the close began', async () => {
    open = await connected();
    open.outbox.add('first');
    expect(open.outbox.bufferedBytes).toBeGreaterThanOrEqual(5);
    open.outbox.drain();
    await until(() => open!.received.length === 1);
    expect(open.received).toEqual(['first']);
    const closed = new Promise((resolve) => open!.client.once('close', resolve));
    open.server.close(1000, 'bye');
    open.outbox.add('too late');
    open.outbox.drain();
    await closed;
    expect(open.received).toEqual(['first']);
  });

  it('gives borrowed parts back once written (or copied), and those of messages it never sends', async () => {
    open = await connected();
    const returned: string[] = [];
    const borrowed = (name: string, size: number) => lend(Buffer.alloc(size, 1), () => returned.push(name));
    const big = borrowed('big', 300 * 1024); // written as it is
    const small = borrowed('small', 100); // copied into the burst's buffer
    open.outbox.add([Buffer.from([0, 0, 0, 2]), big]);
    open.outbox.add([small]);
    open.outbox.drain();
    expect(returned).toEqual(['small']); // the big one is still the socket's
    await until(() => returned.length === 2);
    expect(returned).toEqual(['small', 'big']);
    expect(isLent(big) || isLent(small)).toBe(false);

    const closed = new Promise((resolve) => open!.client.once('close', resolve));
    open.server.close(1000, 'bye');
    open.outbox.add([borrowed('unsent', 200 * 1024)]);
    open.outbox.drain();
    expect(returned).toEqual(['small', 'big', 'unsent']);
    await closed;
  });
});
