/** The bus of a single gateway process: publish delivers synchronously, in order, to every subscriber. */
export class LocalBus {
  private readonly listeners = new Set<(channel: string, message: string) => void>();

  publish(channel: string, message: string): void {
    for (const deliver of this.listeners) deliver(channel, message);
  }

  subscribe(deliver: (channel: string, message: string) => void): () => void {
    this.listeners.add(deliver);
    return () => this.listeners.delete(deliver);
  }

  clear(): void {
    this.listeners.clear();
  }
}
