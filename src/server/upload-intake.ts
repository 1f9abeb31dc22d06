import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { SpaceportError } from '../protocol/errors.ts';

/**
 * Bytes of large request bodies (uploads, job submits) being received by the whole gateway at
 * once. A request reserves what it declares (Content-Length, or the largest it may be) before a
 * byte is read, and one that would pass the budget is refused with `busy` — so a handful of huge
 * bodies cannot take the machine's memory or disk from everyone else, however they are timed.
 */
export class InFlightBytes {
  private used = 0;

  constructor(private readonly max: number) {}

  /**
   * Runs `receive` with the bytes a request declares (`Content-Length`, else `limit`) reserved,
   * or refuses it with `busy` when they would pass the budget.
   */
  async during<T>(req: IncomingMessage, limit: number, receive: () => Promise<T>): Promise<T> {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    const n = Number.isFinite(declared) ? Math.min(declared, limit) : limit;
    if (this.used + n > this.max) throw new SpaceportError('busy', 'The gateway is receiving as many bytes at once as it takes; retry shortly.');
    this.used += n;
    try {
      return await receive();
    } finally {
      this.used -= n;
    }
  }
}

/**
 * Streams a request body into a new file `dir/<name>.part`, never holding more than a chunk of it:
 * at most `limit` bytes (more: input_too_large, and reading stops). The file is removed on any
 * failure; on success it is the caller's.
 */
export async function receiveToFile(req: IncomingMessage, dir: string, name: string, limit: number): Promise<{ file: string; size: number }> {
  const file = join(dir, `${name}.part`);
  const out = createWriteStream(file, { mode: 0o600 });
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new SpaceportError('input_too_large', `The upload is over the limit of ${limit} bytes.`);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    return { file, size };
  } catch (err) {
    out.destroy();
    await unlink(file).catch(() => {});
    throw err;
  }
}
