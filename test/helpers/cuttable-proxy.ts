import { connect, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of a local port whose open connections a test can cut, counting what it carried. */
export interface CuttableProxy {
  url: string;
  /** Bytes carried from clients to the target so far. */
  bytesIn(): number;
  /** Destroys every open connection (both sides); returns how many there were. */
  cut(): number;
  /**
   * From now until the next cut, what clients send is dropped, not carried — a path that died
   * without either end knowing: their writes succeed and never arrive.
   */
  blackhole(): void;
  /** Cuts every connection, then for `ms` closes each new one at once — a gateway that is down; resolves when it is back. */
  refuseFor(ms: number): Promise<void>;
  /** Connections refused so far (tries to reach a gateway that was down). */
  refused(): number;
  /** From now until releaseReplies, what the target sends back waits here, in order: an answer that is slow to come. */
  holdReplies(): void;
  /** holdReplies from the moment a client sends `text` (its own answer is held too). */
  holdRepliesAfter(text: string): void;
  releaseReplies(): void;
  /** Counts, from now on, how often `text` appears in what clients send (across the chunks it arrives in). */
  watch(text: string): () => number;
  close(): void;
}

export async function cuttableProxy(port: number): Promise<CuttableProxy> {
  const open = new Set<Socket>();
  let bytesIn = 0;
  let dropping = false;
  let refusing = false;
  let refused = 0;
  let held: Array<() => void> | undefined;
  const watchers: Array<(chunk: string) => void> = [];
  const server = createServer((inbound) => {
    if (refusing) {
      refused++;
      inbound.destroy();
      return;
    }
    const outbound = connect(port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {});
    }
    inbound.on('data', (d: Buffer) => {
      bytesIn += d.length;
      for (const w of watchers) w(d.toString('latin1'));
      if (!dropping) outbound.write(d);
    });
    outbound.on('data', (d: Buffer) => {
      if (held) held.push(() => inbound.write(d));
      else inbound.write(d);
    });
    outbound.on('end', () => inbound.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const watch = (text: string) => {
    let seen = 0;
    let tail = ''; // the end of the last chunk, where `text` may have begun
    watchers.push((chunk) => {
      const joined = tail + chunk;
      for (let at = joined.indexOf(text); at >= 0; at = joined.indexOf(text, at + text.length)) seen++;
      // Keep less than a whole `text`, so an occurrence is never counted twice.
      tail = joined.slice(-(text.length - 1));
    });
    return () => seen;
  };
  const cut = () => {
    const n = open.size;
    for (const s of open) s.destroy();
    dropping = false;
    return n;
  };
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    bytesIn: () => bytesIn,
    cut,
    blackhole: () => void (dropping = true),
    refuseFor: async (ms) => {
      refusing = true;
      cut();
      await new Promise((r) => setTimeout(r, ms));
      refusing = false;
    },
    refused: () => refused,
    holdReplies: () => void (held ??= []),
    holdRepliesAfter(text) {
      // Watchers see a chunk before it is carried: its answer cannot slip through.
      const seen = watch(text);
      let armed = true;
      watchers.push(() => {
        if (!armed || seen() === 0) return;
        armed = false;
        held ??= [];
      });
    },
    releaseReplies() {
      const waiting = held ?? [];
      held = undefined;
      for (const write of waiting) write();
    },
    watch,
    close: () => server.close(),
  };
}
