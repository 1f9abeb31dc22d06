import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type Collect = (options: { type: 'minor' }) => void;

let collect: Collect | undefined;

/**
 * V8 frees the dead Buffers a young collection found on a helper thread, after it, by default; but
 * it tests its heap limit right at the end of the collection, when they are still counted. Freed
 * during the collection instead, they are gone by the test (measured: half the full collections).
 */
const SYNCHRONOUS_SWEEP = '--no-concurrent-array-buffer-sweeping';

/** V8's collector, exposed once per process (as `--expose-gc` would at start) where the runtime allows it. */
function exposedCollector(): Collect | undefined {
  if (collect) return collect;
  try {
    setFlagsFromString(SYNCHRONOUS_SWEEP);
    const global = (globalThis as { gc?: Collect }).gc;
    if (typeof global === 'function') return (collect = global);
    setFlagsFromString('--expose-gc');
    // The flag takes effect in contexts created after it: a fresh one hands over its `gc`.
    collect = runInNewContext('gc') as Collect;
  } catch {
    collect = undefined;
  }
  return collect;
}

/**
 * Asks V8 for a young-generation collection after every `everyBytes` of binary data received into
 * new Buffers (frames `ws` assembled, parts read into a Buffer of their own; not live media read
 * into the ring through the shared read buffer, which allocates nothing), so those Buffers are
 * freed while they are still young.
 *
 * Why: V8 counts the Buffer memory allocated since its last full collection against the old
 * generation's limit. A relayed MiB allocates about two (the socket's reads, and the frame ws
 * assembles from them); they die at once, but a young collection — the only cheap way to free them —
 * comes only when the JS heap's young generation fills, and relaying allocates little JS. So the
 * external memory reached the limit first, every 4 MiB or so relayed, and each time V8 ran a full
 * mark-compact over the whole heap: a gateway heap of 13 MB spent more CPU marking than relaying
 * (docs/benchmarks.md, "Binary media"). A process whose heap is under 8 MB (V8's threshold for
 * starting to mark) never sees this, which is why a bare ws relay does not. A young collection of
 * the little JS allocated between frames costs a fraction of a millisecond and frees the dead
 * Buffers, so the count never reaches the limit.
 *
 * The collection runs two event-loop turns after the threshold is crossed, once the frame that
 * crossed it has been handed on (pushed to its clients, stored). Turning
 * it on also has V8 free dead Buffers during young collections rather than after them
 * (SYNCHRONOUS_SWEEP), process-wide.
 */
export class YoungCollector {
  private bytes = 0;
  private pending = false;
  private readonly collect: Collect | undefined;

  /** `everyBytes` 0 turns it off. `collect` is V8's (tests count the calls with their own). */
  constructor(
    private readonly everyBytes: number,
    collect?: Collect,
  ) {
    this.collect = everyBytes > 0 ? (collect ?? exposedCollector()) : undefined;
  }

  get active(): boolean {
    return this.collect !== undefined;
  }

  /** Counts the bytes of one binary frame (or part) received into a new Buffer. */
  received(byteLength: number): void {
    if (!this.collect) return;
    this.bytes += byteLength;
    if (this.bytes < this.everyBytes || this.pending) return;
    this.bytes = 0;
    this.pending = true;
    setImmediate(nextTurn, this);
  }

  /** @internal */
  run(): void {
    this.pending = false;
    this.collect!({ type: 'minor' });
  }
}

const nextTurn = (collector: YoungCollector) => setImmediate(collectNow, collector);
const collectNow = (collector: YoungCollector) => collector.run();
