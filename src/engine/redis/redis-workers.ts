import type { Redis } from 'ioredis';
import type { Presence } from '../../core/ports/records.ts';
import type { WorkerInfo } from '../../core/types.ts';
import { guard } from './redis-guard.ts';

/**
 * The workers connected to every instance: P workers is a HASH of worker id -> WorkerInfo JSON.
 * An instance's writes of its workers wait for the end of the turn and go out as one HSET of
 * those that changed, and a write answers once the HSET that carries it is done. A change of a
 * worker's running count alone waits longer (`runningWriteMs`) and answers at once: under load it
 * changes with every claim and every result, and what reads it from Redis (a space's status, the
 * admin's list, an ETA at most once a second) needs how busy a worker is lately, not a Redis
 * write per job. Connecting, slots, spaces and draining are written at the end of the turn.
 */
export function redisWorkers(redis: Redis, P: string, runningWriteMs: number): Pick<Presence, 'putWorker' | 'removeWorker' | 'listWorkers'> & { close(): void } {
  const key = `${P}workers`;
  /** Waiting for the end of the turn / for runningWriteMs. */
  const pending = new Map<string, WorkerInfo>();
  const later = new Map<string, WorkerInfo>();
  /** What Redis has of each of this instance's workers, as this instance last wrote it: the JSON, and the JSON of all but its running count. */
  const written = new Map<string, { json: string; rest: string }>();
  let flushing: Promise<void> | undefined;
  let laterTimer: NodeJS.Timeout | undefined;
  // A Redis that restarted has none of it: everything is written again as it changes.
  redis.on('ready', () => written.clear());

  const restOf = (info: WorkerInfo) => JSON.stringify({ ...info, running: 0 });
  const write = async (changed: Map<string, WorkerInfo>) => {
    const fields: string[] = [];
    for (const info of changed.values()) {
      const json = JSON.stringify(info);
      if (written.get(info.id)?.json === json) continue;
      fields.push(info.id, json);
      written.set(info.id, { json, rest: restOf(info) });
    }
    changed.clear();
    if (fields.length === 0) return;
    try {
      await redis.hset(key, ...fields);
    } catch (err) {
      for (let i = 0; i < fields.length; i += 2) written.delete(fields[i]!);
      throw err;
    }
  };
  const flush = () => {
    flushing = undefined;
    return write(pending);
  };
  const writeLater = () => {
    laterTimer = undefined;
    // Nobody waits on these: one that fails is written with the worker's next change.
    write(later).catch(() => {});
  };

  return {
    putWorker: (info) => {
      const before = written.get(info.id);
      if (!pending.has(info.id) && before && before.rest === restOf(info)) {
        later.set(info.id, info);
        laterTimer ??= setTimeout(writeLater, runningWriteMs).unref();
        return;
      }
      later.delete(info.id);
      pending.set(info.id, info);
      return guard(() => (flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush)));
    },
    removeWorker: (id) => {
      // Not written back after it is gone by a write still waiting.
      pending.delete(id);
      later.delete(id);
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
    close: () => clearTimeout(laterTimer),
  };
}
