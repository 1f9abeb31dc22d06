import type { Redis } from 'ioredis';
import type { WebSocket } from 'ws';

/**
 * The queued baseline's workers' side (raw-ws-redis-relay.ts, RELAY_QUEUE=1): its workers' free
 * slots, filled from a Redis list. One LPOP at a time, asking for as many jobs as there are free
 * slots: a wake-up or a freed slot while one is on its way asks again once it is answered.
 */
export class RedisListSlots {
  /** One entry per free slot (a worker with two free slots is in it twice). */
  private readonly idle: WebSocket[] = [];
  private pulling = false;
  private again = false;

  constructor(
    private readonly redis: Redis,
    private readonly list: string,
  ) {}

  add(worker: WebSocket, slots: number): void {
    for (let i = 0; i < slots; i++) this.idle.push(worker);
    this.pull();
  }

  remove(worker: WebSocket): void {
    for (let i = this.idle.indexOf(worker); i >= 0; i = this.idle.indexOf(worker)) this.idle.splice(i, 1);
  }

  free(worker: WebSocket): void {
    this.idle.push(worker);
    this.pull();
  }

  pull(): void {
    if (this.pulling) return void (this.again = true);
    if (this.idle.length === 0) return;
    this.pulling = true;
    this.again = false;
    const asked = this.idle.length;
    this.redis.lpop(this.list, asked).then(
      (jobs) => {
        this.pulling = false;
        for (const job of jobs ?? []) this.idle.pop()!.send(job);
        // A full answer may have left more waiting; a short one emptied the list until the next wake-up.
        if (this.again || jobs?.length === asked) this.pull();
      },
      () => void (this.pulling = false),
    );
  }
}
