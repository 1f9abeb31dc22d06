import { SpaceportError } from '../../protocol/errors.ts';
import { decodeFrame, type FrameHeader } from '../../protocol/binary-frame.ts';
import { giveBack } from '../../protocol/lent-bytes.ts';

export const MALFORMED_FRAME = 'The binary frame does not start with a valid header.';

/** Memory for a part of `size` bytes about to be read, or undefined for a new Buffer. */
export type PartMemory = (size: number) => Buffer | undefined;

interface Pending {
  parts: Array<Buffer | undefined>;
  /** The part whose frame is being read into it (from `place` until `filled`). */
  reading: Buffer | undefined;
  missing: number;
  timer: NodeJS.Timeout;
  memory: PartMemory | undefined;
  done: (parts: Buffer[]) => void;
  fail: (err: SpaceportError) => void;
}

/**
 * Collects the binary frames a message announced (`files[i].binary === true`) before the message is
 * acted on. Frames name their message by `ref` and their slot by `index` (see binary-frame.ts).
 *
 * A part arrives whole (a frame `ws` gathered: `accept`) or is read into memory given out here
 * (`place`, then `filled`: large-frame-intake.ts), which may be memory the announcer chose — a
 * region of the live-media ring for a partial's file. Parts of an upload that fails are given back
 * (lent-bytes.ts); those of one that completes, by whoever handles the message.
 */
export class Attachments {
  /** Made on the first upload: most connections never send one, and an empty Map is ~150 bytes. */
  private pending: Map<string, Pending> | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly maxPartBytes: number,
  ) {}

  /** Resolves with the parts in index order (non-binary indexes left empty); rejects on timeout. */
  expect(ref: string | number, binaryIndexes: number[], total: number, memory?: PartMemory): Promise<Array<Buffer | undefined>> {
    const key = String(ref);
    this.pending ??= new Map();
    if (this.pending.has(key)) return Promise.reject(new SpaceportError('invalid_message', `Binary parts for "${key}" are already expected.`));
    return new Promise((resolve, reject) => {
      const parts: Array<Buffer | undefined> = new Array(total).fill(undefined);
      const timer = setTimeout(() => {
        this.failed(key, entry, new SpaceportError('incomplete_upload', `Only ${total - entry.missing} of ${binaryIndexes.length} binary parts for "${key}" arrived.`));
      }, this.timeoutMs);
      timer.unref();
      const entry: Pending = { parts, reading: undefined, missing: binaryIndexes.length, timer, memory, done: () => resolve(parts), fail: reject };
      this.pending!.set(key, entry);
    });
  }

  /** Routes one whole binary frame; throws the documented error for a frame nothing announced. */
  accept(frame: Buffer): void {
    const decoded = decodeFrame(frame);
    if (!decoded) throw new SpaceportError('unexpected_binary', MALFORMED_FRAME);
    const payload = decoded.payload;
    if (!this.entryFor(decoded.header, payload.length)) return;
    // A small frame may be a slice of a larger socket read, which keeping the slice would retain:
    // copy those. A part that is most of its buffer (any large upload) is kept as it is — copying
    // a megabyte per file was a measurable cost of the media path.
    this.filled(decoded.header, payload.length * 2 > payload.buffer.byteLength ? payload : Buffer.from(payload));
  }

  /**
   * Memory for a part of `size` bytes whose frame is being read, to be passed to `filled` once full.
   * Throws `unexpected_binary` for a part nothing announced; undefined for one too large (its upload failed).
   */
  place(header: FrameHeader, size: number): Buffer | undefined {
    const entry = this.entryFor(header, size);
    if (!entry) return undefined;
    const memory = entry.memory?.(size) ?? Buffer.allocUnsafe(size);
    entry.parts[header.index] = memory; // taken: a second frame for it is unexpected
    entry.reading = memory;
    return memory;
  }

  /** A part is in: a whole frame's payload, or memory from `place` now full. */
  filled(header: FrameHeader, payload: Buffer): void {
    const key = String(header.ref);
    const entry = this.pending?.get(key);
    const held = entry?.parts[header.index];
    // Gone (timed out while it was read), or another upload's under the same key since.
    if (!entry || (held !== undefined && held !== payload)) return giveBack(payload);
    entry.parts[header.index] = payload;
    entry.reading = undefined;
    entry.missing -= 1;
    if (entry.missing === 0) {
      this.pending!.delete(key);
      clearTimeout(entry.timer);
      entry.done(entry.parts as Buffer[]);
    }
  }

  /** The connection closed: nothing more will arrive. */
  peerClosed(): void {
    // Every part goes back, one being read included: nothing more will be read into it.
    for (const entry of this.pending?.values() ?? []) {
      clearTimeout(entry.timer);
      entry.parts.forEach(giveBack);
    }
    this.pending = undefined;
  }

  /** The upload a part belongs to, if it announced that part and it is within the limit. */
  private entryFor(header: FrameHeader, size: number): Pending | undefined {
    const key = String(header.ref);
    const entry = this.pending?.get(key);
    const index = header.index;
    if (!entry || index < 0 || index >= entry.parts.length || entry.parts[index] !== undefined) {
      throw new SpaceportError('unexpected_binary', `No message announced binary part ${index} for "${key}".`);
    }
    if (size > this.maxPartBytes) {
      this.failed(key, entry, new SpaceportError('input_too_large', `Binary part ${index} is ${size} bytes; the limit is ${this.maxPartBytes}.`));
      return undefined;
    }
    return entry;
  }

  /**
   * A part still being read is not given back here: its frame goes on arriving into it, and
   * `filled` gives it back at the end (the upload is gone by then). Given back now, its memory
   * could be lent again and overwritten by the rest of the frame.
   */
  private failed(key: string, entry: Pending, error: SpaceportError): void {
    this.pending?.delete(key);
    clearTimeout(entry.timer);
    for (const part of entry.parts) if (part !== entry.reading) giveBack(part);
    entry.fail(error);
  }
}
