import { giveBack } from '../../protocol/lent-bytes.ts';

/** A reply of the kinds the blob lane's commands get: status (+), error (-), integer (:), bulk ($, null when -1). */
export type RespReply = string | number | Buffer | null | RespError;

export class RespError extends Error {}

const LF = 0x0a;
/** Longer than any status, error or header Redis sends the lane's commands. */
const MAX_LINE = 64 * 1024;

/**
 * Reads Redis's replies (RESP2) out of whatever chunks the socket hands over, however the replies
 * fall across them. A bulk reply is copied once, from the chunk it arrived in (which can be a read
 * buffer the socket reuses), into memory its reader lent or else a Buffer of its exact size. Only
 * the reply kinds above: the lane sends nothing that answers with an array. A reply line (a status,
 * an error, a header) longer than MAX_LINE is refused, not gathered for ever.
 */
export class RespReplies {
  /** The reply line read so far (its type and header), while it spans chunks. */
  private line = '';
  /** The bulk reply being filled, and how much of it is. */
  private bulk: Buffer | undefined;
  private filled = 0;
  /** Bytes of a bulk's trailing CRLF still to skip. */
  private skip = 0;

  /** `memory`: where a bulk reply of `size` bytes is to be read into, when its reader lends some. */
  constructor(
    private readonly reply: (value: RespReply) => void,
    private readonly memory: (size: number) => Buffer | undefined = () => undefined,
  ) {}

  /** Takes `chunk[0..length)`; calls `reply` for each whole reply in it, in order. */
  read(chunk: Buffer, length = chunk.length): void {
    let at = 0;
    while (at < length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, length - at);
        this.skip -= n;
        at += n;
      } else if (this.bulk) {
        const n = Math.min(this.bulk.length - this.filled, length - at);
        chunk.copy(this.bulk, this.filled, at, at + n);
        this.filled += n;
        at += n;
        if (this.filled === this.bulk.length) this.endBulk(this.bulk);
      } else {
        const end = chunk.indexOf(LF, at);
        if (end < 0 || end >= length) {
          this.line += chunk.toString('latin1', at, length);
          if (this.line.length > MAX_LINE) throw new RespError(`Redis sent a reply line of more than ${MAX_LINE} bytes`);
          return;
        }
        const line = this.line + chunk.toString('latin1', at, end);
        this.line = '';
        at = end + 1;
        this.header(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
    }
  }

  /** The connection is gone: memory lent for a bulk reply half read goes back. */
  abandon(): void {
    giveBack(this.bulk);
    this.bulk = undefined;
  }

  private header(line: string): void {
    const rest = line.slice(1);
    switch (line[0]) {
      case '+':
        return this.reply(rest);
      case '-':
        return this.reply(new RespError(rest));
      case ':':
        return this.reply(Number(rest));
      case '$': {
        const size = Number(rest);
        if (size < 0) return this.reply(null);
        this.bulk = (size > 0 && this.memory(size)) || Buffer.allocUnsafeSlow(size);
        this.filled = 0;
        if (size === 0) this.endBulk(this.bulk);
        return;
      }
      default:
        throw new RespError(`Redis sent a reply the blob lane does not read: ${JSON.stringify(line.slice(0, 40))}`);
    }
  }

  private endBulk(bulk: Buffer): void {
    this.bulk = undefined;
    this.skip = 2;
    this.reply(bulk);
  }
}
