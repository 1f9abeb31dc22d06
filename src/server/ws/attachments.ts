import { SpaceportError } from '../../protocol/errors.ts';
import { decodeFrame } from '../../protocol/binary-frame.ts';

interface Pending {
  parts: Array<Buffer | undefined>;
  missing: number;
  timer: NodeJS.Timeout;
  done: (parts: Buffer[]) => void;
  fail: (err: SpaceportError) => void;
}

/**
 * Collects the binary frames a message announced (`files[i].binary === true`) before the message is
 * acted on. Frames name their message by `ref` and their slot by `index` (see binary-frame.ts).
 */
export class Attachments {
  /** Made on the first upload: most connections never send one, and an empty Map is ~150 bytes. */
  private pending: Map<string, Pending> | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly maxPartBytes: number,
  ) {}

  /** Resolves with the parts in index order (non-binary indexes left empty); rejects on timeout. */
  expect(ref: string | number, binaryIndexes: number[], total: number): Promise<Array<Buffer | undefined>> {
    const key = String(ref);
    this.pending ??= new Map();
    if (this.pending.has(key)) return Promise.reject(new SpaceportError('invalid_message', `Binary parts for "${key}" are already expected.`));
    return new Promise((resolve, reject) => {
      const parts: Array<Buffer | undefined> = new Array(total).fill(undefined);
      const timer = setTimeout(() => {
        this.pending?.delete(key);
        reject(new SpaceportError('incomplete_upload', `Only ${total - entry.missing} of ${binaryIndexes.length} binary parts for "${key}" arrived.`));
      }, this.timeoutMs);
      timer.unref();
      const entry: Pending = { parts, missing: binaryIndexes.length, timer, done: () => resolve(parts), fail: reject };
      this.pending!.set(key, entry);
    });
  }

  /** Routes one binary frame; throws the documented error for a frame nothing announced. */
  accept(frame: Buffer): void {
    const decoded = decodeFrame(frame);
    if (!decoded) throw new SpaceportError('unexpected_binary', 'The binary frame does not start with a valid header.');
    const key = String(decoded.header.ref);
    const entry = this.pending?.get(key);
    const index = decoded.header.index;
    if (!entry || index < 0 || index >= entry.parts.length || entry.parts[index] !== undefined) {
      throw new SpaceportError('unexpected_binary', `No message announced binary part ${index} for "${key}".`);
    }
    if (decoded.payload.length > this.maxPartBytes) {
      this.pending!.delete(key);
      clearTimeout(entry.timer);
      entry.fail(new SpaceportError('input_too_large', `Binary part ${index} is ${decoded.payload.length} bytes; the limit is ${this.maxPartBytes}.`));
      return;
    }
    // A small frame may be a slice of a larger socket read, which keeping the slice would retain:
    // copy those. A part that is most of its buffer (any large upload) is kept as it is — copying
    // a megabyte per file was a measurable cost of the media path.
    const payload = decoded.payload;
    entry.parts[index] = payload.length * 2 > payload.buffer.byteLength ? payload : Buffer.from(payload);
    entry.missing -= 1;
    if (entry.missing === 0) {
      this.pending!.delete(key);
      clearTimeout(entry.timer);
      entry.done(entry.parts as Buffer[]);
    }
  }

  /** The connection closed: nothing more will arrive. */
  peerClosed(): void {
    for (const entry of this.pending?.values() ?? []) clearTimeout(entry.timer);
    this.pending = undefined;
  }
}
