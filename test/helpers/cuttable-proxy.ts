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
  close(): void;
}

export async function cuttableProxy(port: number): Promise<CuttableProxy> {
  const open = new Set<Socket>();
  let bytesIn = 0;
  let dropping = false;
  const server = createServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {});
    }
    inbound.on('data', (d: Buffer) => {
      bytesIn += d.length;
      if (!dropping) outbound.write(d);
    });
    outbound.pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    bytesIn: () => bytesIn,
    cut: () => {
      const n = open.size;
      for (const s of open) s.destroy();
      dropping = false;
      return n;
    },
    blackhole: () => void (dropping = true),
    close: () => server.close(),
  };
}
