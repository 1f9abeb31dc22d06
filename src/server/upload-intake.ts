import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { SpaceportError } from '../protocol/errors.ts';

/**
 * Bytes of request bodies being received by the whole gateway at once. An upload reserves what it
 * declares (Content-Length, or the largest it may be) before a byte is read, and one that would
 * pass the budget is refused with `busy` — so a handful of huge uploads cannot take the machine's
 * memory or disk from everyone else, however they are timed.
 */
export class InFlightBytes {
  private used = 0;

  constructor(private readonly max: number) {}

  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
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
