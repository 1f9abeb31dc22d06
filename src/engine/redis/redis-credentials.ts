import type { Redis } from 'ioredis';
import type { AccountRecords, CredentialRecord } from '../../core/ports/records.ts';
import { guard } from './redis-guard.ts';

type Credentials = Pick<AccountRecords, 'createCredential' | 'listCredentials' | 'findCredential' | 'revokeCredential'>;

/**
 * Keys, worker tokens and sign-ins in Redis: P credentials HASH id -> record JSON, and
 * P credential-hashes HASH secret hash -> id for the lookup every authenticated request makes. A
 * revoked credential keeps its record (listings show it) and loses its hash entry.
 */
export function redisCredentials(redis: Redis, P: string): Credentials {
  return {
    createCredential: (record) =>
      guard(async () => {
        await redis.multi().hset(`${P}credentials`, record.id, JSON.stringify(record)).hset(`${P}credential-hashes`, record.hash, record.id).exec();
      }),
    listCredentials: (kind, spaceId) =>
      guard(async () =>
        Object.values(await redis.hgetall(`${P}credentials`))
          .map((c) => JSON.parse(c) as CredentialRecord)
          .filter((c) => c.kind === kind && (spaceId === undefined || c.space_id === spaceId)),
      ),
    findCredential: (hash) =>
      guard(async () => {
        const id = await redis.hget(`${P}credential-hashes`, hash);
        const json = id ? await redis.hget(`${P}credentials`, id) : null;
        const record = json ? (JSON.parse(json) as CredentialRecord) : null;
        return record && record.revoked_at === null ? record : null;
      }),
    revokeCredential: (id) =>
      guard(async () => {
        const json = await redis.hget(`${P}credentials`, id);
        const record = json ? (JSON.parse(json) as CredentialRecord) : null;
        if (!record || record.revoked_at !== null) return false;
        await redis
          .multi()
          .hset(`${P}credentials`, id, JSON.stringify({ ...record, revoked_at: Date.now() }))
          .hdel(`${P}credential-hashes`, record.hash)
          .exec();
        return true;
      }),
  };
}
