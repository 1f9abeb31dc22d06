import type { Redis } from 'ioredis';
import type { SessionRecords } from '../../core/ports/records.ts';
import type { Session, SessionImage } from '../../core/types.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { guard } from './redis-guard.ts';

/** The fields of a session that change, each its own hash field or list; the rest is its immutable body. */
const SESSION_FIELDS = ['status', 'expires_at', 'max_images', 'generated_through', 'images', 'job_ids'] as const;

/**
 * Sessions in Redis (keys in scripts.ts): P session:<id> HASH (body and the fields that change),
 * P session-images:<id> and P session-jobs:<id> LISTs, P sessions ZSET by expiry. Adding an image
 * and deleting a session are scripts (`run`), atomic across instances.
 */
export function redisSessions(redis: Redis, P: string, run: (name: 'ADD_SESSION_IMAGE' | 'DELETE_SESSION', args: Array<string | number>) => Promise<unknown>): SessionRecords {
  const loadSession = async (id: string): Promise<Session | null> => {
    const [hash, images, jobs] = await Promise.all([redis.hgetall(`${P}session:${id}`), redis.lrange(`${P}session-images:${id}`, 0, -1), redis.lrange(`${P}session-jobs:${id}`, 0, -1)]);
    if (!hash.body) return null;
    return {
      ...(JSON.parse(hash.body) as Omit<Session, (typeof SESSION_FIELDS)[number]>),
      status: hash.status as Session['status'],
      expires_at: Number(hash.expires_at),
      max_images: Number(hash.max_images),
      generated_through: Number(hash.generated_through),
      images: images.map((i) => JSON.parse(i) as SessionImage),
      job_ids: jobs,
    };
  };

  return {
    createSession: (session) =>
      guard(async () => {
        const body: Record<string, unknown> = { ...session };
        for (const f of SESSION_FIELDS) delete body[f];
        await redis
          .multi()
          .hset(`${P}session:${session.id}`, {
            body: JSON.stringify(body),
            status: session.status,
            expires_at: session.expires_at,
            max_images: session.max_images,
            generated_through: session.generated_through,
          })
          .zadd(`${P}sessions`, session.expires_at, session.id)
          .exec();
      }),
    getSession: (id) => guard(() => loadSession(id)),
    listSessions: () =>
      guard(async () => {
        const ids = await redis.zrange(`${P}sessions`, '0', '-1');
        return (await Promise.all(ids.map(loadSession))).filter((s): s is Session => s !== null);
      }),
    addSessionImage: (id, image, now) => guard(async () => Number(await run('ADD_SESSION_IMAGE', [id, JSON.stringify(image), now]))),
    updateSession: (id, patch) =>
      guard(async () => {
        if (!(await redis.exists(`${P}session:${id}`))) throw new SpaceportError('session_not_found', `No session has id "${id}".`);
        const tx = redis.multi();
        if (patch.status) tx.hset(`${P}session:${id}`, 'status', patch.status);
        if (patch.generated_through !== undefined) tx.hset(`${P}session:${id}`, 'generated_through', patch.generated_through);
        if (patch.job_id) tx.rpush(`${P}session-jobs:${id}`, patch.job_id);
        await tx.exec();
      }),
    deleteSession: (id) => guard(async () => Number(await run('DELETE_SESSION', [id])) === 1),
    purgeExpiredSessions: (now) =>
      guard(async () => {
        let n = 0;
        for (const id of await redis.zrangebyscore(`${P}sessions`, '-inf', String(now))) if (Number(await run('DELETE_SESSION', [id])) === 1) n++;
        return n;
      }),
  };
}
