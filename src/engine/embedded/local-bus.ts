import type { BusListener } from '../../core/ports/bus.ts';

/** The bus of a single gateway process: everything is delivered synchronously, in publish order, to every listener. */
export class LocalBus {
  private readonly listeners = new Set<BusListener>();

  publish(channel: string, message: string): void {
    // As on Redis, where messages are joined by newlines: a bug of ours shows here first.
    if (message.includes('\n')) throw new Error('a bus message must be a single line');
    for (const l of this.listeners) l.message(channel, message);
  }

  publishEvent(spaceId: string, jobId: string, ownerId: string, line: string): void {
    for (const l of this.listeners) l.jobEvent(spaceId, jobId, ownerId, line);
  }

  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.listeners.clear();
  }
}
