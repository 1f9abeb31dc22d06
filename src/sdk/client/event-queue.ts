/**
 * An append-only list of items that any number of readers iterate from the start, each at its own
 * pace, waiting for more until the list is closed. Keeps history so a late `for await` misses
 * nothing.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private ended = false;
  private waiters: Array<() => void> = [];

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Everything pushed so far. */
  get history(): readonly T[] {
    return this.items;
  }

  get done(): boolean {
    return this.ended;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let i = 0;
    while (true) {
      if (i < this.items.length) yield this.items[i++]!;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
