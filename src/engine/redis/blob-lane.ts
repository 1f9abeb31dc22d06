import { connect, type Socket } from 'node:net';
import { RespError, RespReplies, type RespReply } from './resp-replies.ts';

/** What the socket reads into, again and again: a bulk reply is copied out of it once, into its own Buffer. */
const READ_BUFFER_BYTES = 256 * 1024;

interface Pending {
  /** Where its bulk reply goes, if not into a new Buffer. */
  memory?: ((size: number) => Buffer | undefined) | undefined;
  resolve(reply: RespReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A connection to Redis of its own for file bytes (the SET of live media, the GET of every file
 * read), which the shared ioredis connection handles with two copies a file more than the bytes
 * need: it joins each command into one new Buffer (the file copied in), and it assembles each bulk
 * reply from the socket's reads, each a new Buffer, into another. Here a file is written as it is
 * (the command's head, the file, its tail: one writev) and read from one reused buffer straight
 * into its destination (memory the caller lends, or a Buffer of its size). On a gateway relaying
 * media, those copies and the collections of their garbage were most of its CPU
 * (docs/benchmarks.md).
 *
 * Commands are pipelined and answered in order; one not answered within `timeoutMs` closes the
 * connection, which fails every command waiting (as a dropped connection does), and the next
 * command connects again. Made only for the URLs it understands (blobLaneFor): otherwise the
 * bytes go through ioredis like everything else.
 */
export class BlobLane {
  private socket: Socket | undefined;
  private readonly pending: Pending[] = [];
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

  constructor(
    private readonly url: URL,
    private readonly timeoutMs: number,
  ) {}

  async set(key: string, bytes: Buffer, px: number): Promise<void> {
    await this.send(undefined, `*5\r\n$3\r\nSET\r\n${bulk(key)}$${bytes.length}\r\n`, bytes, `\r\n$2\r\nPX\r\n${bulk(String(px))}`);
  }

  /** The value, read into `memory` when it lends some for its size (then given back by whoever sends it on). */
  async get(key: string, memory?: (size: number) => Buffer | undefined): Promise<Buffer | null> {
    return (await this.send(memory, `*2\r\n$3\r\nGET\r\n${bulk(key)}`)) as Buffer | null;
  }

  close(): void {
    this.socket?.destroy();
  }

  private send(memory: Pending['memory'], ...parts: Array<string | Buffer>): Promise<RespReply> {
    const socket = this.socket ?? this.open();
    const reply = this.expect(memory);
    socket.cork();
    for (const part of parts) socket.write(part);
    socket.uncork();
    return reply;
  }

  private expect(memory?: Pending['memory']): Promise<RespReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.socket?.destroy(new Error(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.pending.push({ memory, resolve, reject, timer });
    });
  }

  private open(): Socket {
    const replies = new RespReplies(
      (reply) => this.answered(reply),
      (size) => this.pending[0]?.memory?.(size),
    );
    const read = (chunk: Buffer, length: number): boolean => {
      try {
        replies.read(chunk, length);
      } catch (err) {
        socket.destroy(err as Error);
      }
      return true;
    };
    const host = this.url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
    const port = Number(this.url.port || 6379);
    const socket = connect({ host, port, onread: { buffer: this.readBuffer, callback: (n, buffer) => read(buffer as Buffer, n) } });
    socket.setNoDelay(true);
    let failure: Error | undefined;
    socket.on('error', (err) => void (failure = err)); // 'close' follows: every waiting command fails there
    socket.on('close', () => {
      replies.abandon();
      this.closed(socket, failure);
    });
    this.socket = socket;
    // Said first, so their answers come first: a refusal fails whatever was sent behind them.
    const password = decodeURIComponent(this.url.password);
    const username = decodeURIComponent(this.url.username);
    if (password) this.handshake(socket, username ? ['AUTH', username, password] : ['AUTH', password]);
    const db = Number(this.url.pathname.slice(1) || 0);
    if (db) this.handshake(socket, ['SELECT', String(db)]);
    return socket;
  }

  private handshake(socket: Socket, args: string[]): void {
    socket.write(`*${args.length}\r\n${args.map(bulk).join('')}`);
    this.expect().catch((err: Error) => socket.destroy(err));
  }

  private answered(reply: RespReply): void {
    const waiting = this.pending.shift();
    if (!waiting) throw new RespError('Redis answered a command nobody sent');
    clearTimeout(waiting.timer);
    if (reply instanceof RespError) waiting.reject(reply);
    else waiting.resolve(reply);
  }

  private closed(socket: Socket, failure: Error | undefined): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    const failed = failure ?? new Error('The connection to Redis closed');
    for (const waiting of this.pending.splice(0)) {
      clearTimeout(waiting.timer);
      waiting.reject(failed);
    }
  }
}

/** One argument of a command, as RESP writes it. */
const bulk = (value: string): string => `$${Buffer.byteLength(value)}\r\n${value}\r\n`;

/**
 * A lane for `url` when it is one the lane fully understands (plain redis: with no options: host,
 * port, user, password, database); else undefined. TLS (rediss:) is left to ioredis.
 */
export function blobLaneFor(url: string, timeoutMs: number): BlobLane | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'redis:' || parsed.search) return undefined;
    if (!/^\/?\d*$/.test(parsed.pathname)) return undefined;
    return new BlobLane(parsed, timeoutMs);
  } catch {
    return undefined;
  }
}
