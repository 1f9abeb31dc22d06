import type { Redis } from 'ioredis';
import type { Presence } from '../../core/ports/records.ts';
import type { WorkerInfo } from '../../core/types.ts';

type Guard = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * The workers connected to every instance: P workers is a HASH of worker id -> WorkerInfo JSON.
 * An instance's writes of its workers wait for the end of the turn and go out as one HSET of
 * those that changed: under load a worker's running count changes with each claim and each
 * result (and back, when a result's step claims the next job), and one write per change was a
 * Redis call per claim and per result. A write answers once the HSET that carries it is done.
 */
export function redisWorkers(redis: Redis, P: string, guard: Guard): Pick<Presence, 'putWorker' | 'removeWorker' | 'listWorkers'> {
  const key = `${P}workers`;
  const pending = new Map<string, WorkerInfo>();
  /** What Redis has of each of this instance's workers, as this instance last wrote it. */
  const written = new Map<string, string>();
  let flushing: Promise<void> | undefined;
  // A Redis that restarted has none of it: everything is written again as it changes.
  redis.on('ready', () => written.clear());

  const flush = async () => {
    flushing = undefined;
    const fields: string[] = [];
    for (const info of pending.values()) {
      const json = JSON.stringify(info);
      if (written.get(info.id) !== json) fields.push(info.id, json);
    }
    pending.clear();
    if (fields.length === 0) return;
    for (let i = 0; i < fields.length; i += 2) written.set(fields[i]!, fields[i + 1]!);
    try {
      await redis.hset(key, ...fields);
    } catch (err) {
      for (let i = 0; i < fields.length; i += 2) written.delete(fields[i]!);
      throw err;
    }
  };

  return {
    putWorker: (info) => {
      pending.set(info.id, info);
      return guard(() => (flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush)));
    },
    removeWorker: (id) => {
      // Not written back after it is gone by a write still waiting for the end of the turn.
      pending.delete(id);
      written.delete(id);
      return guard(async () => void (await redis.hdel(key, id)));
    },
    listWorkers: () =>
      guard(async () => {
        const workers = Object.values(await redis.hgetall(key)).map((w) => JSON.parse(w) as WorkerInfo);
        const instances = [...new Set(workers.map((w) => w.instance))];
        const alive = instances.length ? await redis.mget(...instances.map((i) => `${P}instance:${i}`)) : [];
        const live = new Set(instances.filter((_, i) => alive[i] !== null));
        // Workers of an instance that died without saying goodbye: forget them (their leases expire on their own).
        const dead = workers.filter((w) => !live.has(w.instance));
        if (dead.length) await redis.hdel(key, ...dead.map((w) => w.id));
        return workers.filter((w) => live.has(w.instance));
      }),
  };
}
