import type { Redis } from 'ioredis';
import type { Space } from '../../core/types.ts';
import type { Engine } from '../../core/engine-port.ts';
import { SPACES_CHANNEL, SpaceCache } from './space-cache.ts';
import { guard } from './redis-guard.ts';

type Spaces = Pick<Engine, 'listSpaces' | 'getSpace' | 'getSpaceById' | 'createSpace' | 'updateSpace' | 'deleteSpace'>;

/** How long a space read from Redis is kept at most (space-cache.ts): a change is heard sooner. */
const SPACE_KEEP_MS = 1000;

interface SpaceDeps {
  /** Writes a record under a unique name (the PUT_NAMED script), refusing a taken one with `space_exists`. */
  putNamed: (space: Space) => Promise<unknown>;
  /** The worker tokens of a space, which go with it. */
  workerTokens: (spaceId: string) => Promise<Array<{ id: string; hash: string }>>;
  busPrefix: string;
}

/**
 * Spaces in Redis: P spaces HASH id -> record JSON, P space-names HASH name -> id. Reads are kept a
 * moment (space-cache.ts) so a submit costs no round trip for its space; every change tells every
 * instance to forget what it kept. `forget` is for the bus: called when SPACES_CHANNEL says so.
 */
export function redisSpaces(redis: Redis, P: string, deps: SpaceDeps): { spaces: Spaces; forget(): void } {
  const { busPrefix } = deps;
  const cache = new SpaceCache(SPACE_KEEP_MS);
  /** Every instance (this one too) forgets the spaces it kept. */
  const changed = async () => {
    cache.clear();
    await redis.publish(busPrefix + SPACES_CHANNEL, 'changed');
  };
  const put = (space: Space) =>
    guard(async () => {
      await deps.putNamed(space);
      await changed();
    });
  const spaces: Spaces = {
    listSpaces: () =>
      guard(async () =>
        Object.values(await redis.hgetall(`${P}spaces`))
          .map((s) => JSON.parse(s) as Space)
          .sort((a, b) => a.name.localeCompare(b.name)),
      ),
    // Answered at once when kept, as the embedded engine does.
    getSpace: (name) => {
      const kept = cache.named(name);
      if (kept !== undefined) return kept;
      return guard(async () => {
        const id = await redis.hget(`${P}space-names`, name);
        const space = id ? await spaces.getSpaceById(id) : null;
        cache.keepNamed(name, space);
        return space;
      });
    },
    getSpaceById: (id) => {
      const kept = cache.withId(id);
      if (kept !== undefined) return Promise.resolve(kept);
      return guard(async () => {
        const json = await redis.hget(`${P}spaces`, id);
        const space = json ? (JSON.parse(json) as Space) : null;
        cache.keepWithId(id, space);
        return space;
      });
    },
    createSpace: put,
    updateSpace: put,
    deleteSpace: (id) =>
      guard(async () => {
        const space = await spaces.getSpaceById(id);
        const tx = redis.multi().hdel(`${P}spaces`, id).del(`${P}q:${id}`).del(`${P}rounds:${id}`).del(`${P}moves:${id}`);
        if (space) tx.hdel(`${P}space-names`, space.name);
        for (const c of await deps.workerTokens(id)) tx.hdel(`${P}credentials`, c.id).hdel(`${P}credential-hashes`, c.hash);
        await tx.exec();
        await changed();
      }),
  };
  return { spaces, forget: () => cache.clear() };
}
