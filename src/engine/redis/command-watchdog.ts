import type { Redis } from 'ioredis';

/**
 * Fails the commands of a connection that Redis stopped answering (a frozen or partitioned server),
 * in place of ioredis's `commandTimeout`, which arms and clears a timer for every command —
 * measured, the timers alone cost 4% of the jobs a second one worker gets through two instances.
 * Here one interval per connection looks at the oldest command waiting for its answer: seen there
 * for `timeoutMs`, Redis has answered nothing for that long, and it fails with every command behind
 * it (Redis answers in order, so they wait on it) — each as ioredis's own timeout would fail it,
 * left in its place so a late answer still meets its command. So a command fails between
 * `timeoutMs` and 1.2 × `timeoutMs` after it became the oldest. Returns the stop.
 */
export function watchCommands(redis: Redis, timeoutMs: number): () => void {
  let oldest: unknown;
  let since = 0;
  const timer = setInterval(
    () => {
      const queue = redis.commandQueue; // (a new one after a reconnect)
      const head = queue.peekFront();
      if (head !== oldest) {
        oldest = head;
        since = Date.now();
        return;
      }
      if (head === undefined || Date.now() - since < timeoutMs) return;
      const error = new Error(`Redis did not answer within ${timeoutMs} ms`);
      for (const item of queue.toArray()) item.command.reject(error);
    },
    Math.max(10, timeoutMs / 5),
  );
  timer.unref();
  return () => clearInterval(timer);
}
