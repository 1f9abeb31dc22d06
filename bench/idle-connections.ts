import type { Target } from './targets.ts';

export interface IdleResult {
  /** Server resident memory added per open idle connection, in bytes. */
  rssBytesPerConnection: number;
}

/**
 * Idle connections: open `count` authenticated connections that then do nothing, and read how
 * much the server's resident memory grew per connection (after letting it settle).
 */
export async function idleConnections(target: Target, count: number): Promise<IdleResult> {
  const settle = () => new Promise((r) => setTimeout(r, 500));
  await settle();
  const before = target.rssBytes();
  const open: Array<{ close(): void }> = [];
  // In batches: a storm of handshakes is a different benchmark.
  for (let i = 0; i < count; i += 100) open.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => target.idle()))));
  await settle();
  const after = target.rssBytes();
  open.forEach((c) => c.close());
  await settle();
  return { rssBytesPerConnection: Math.max(0, (after - before) / count) };
}
