import type { Redis } from 'ioredis';
import type { Delivery, DeliveryRecords } from '../../core/ports/deliveries.ts';
import { guard } from './redis-guard.ts';

/**
 * ARGV: P, now, limit, holdUntil → the JSON of the pending deliveries due at `now` (at most
 * `limit`), each now held until `holdUntil`: one script, so of several instances one takes each.
 */
const TAKE = `
local P = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'deliveries:due', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  redis.call('ZADD', P .. 'deliveries:due', ARGV[4], id)
  local body = redis.call('GET', P .. 'delivery:' .. id)
  if body then table.insert(out, body) else redis.call('ZREM', P .. 'deliveries:due', id) end
end
return out
`;

/**
 * Webhook deliveries in Redis: P delivery:<id> STRING the delivery's JSON; P deliveries:due ZSET
 * pending ids by when they are next due (or held until); P deliveries:new and
 * P deliveries:new:<spaceId> ZSETs ids by creation (the admin's listing); P deliveries:settled
 * ZSET settled ids by when (retention).
 */
export function redisDeliveries(redis: Redis, P: string): DeliveryRecords {
  const put = (d: Delivery) => {
    const tx = redis.multi().set(`${P}delivery:${d.id}`, JSON.stringify(d));
    if (d.state === 'pending') return tx.zadd(`${P}deliveries:due`, d.next_at, d.id);
    return tx.zrem(`${P}deliveries:due`, d.id).zadd(`${P}deliveries:settled`, d.settled_at ?? Date.now(), d.id);
  };
  return {
    queueDelivery: (d) =>
      guard(async () => {
        await put(d).zadd(`${P}deliveries:new`, d.created_at, d.id).zadd(`${P}deliveries:new:${d.space_id}`, d.created_at, d.id).exec();
      }),
    takeDeliveries: (now, limit, holdMs) => guard(async () => ((await redis.eval(TAKE, 0, P, now, limit, now + holdMs)) as string[]).map((j) => JSON.parse(j) as Delivery)),
    settleDelivery: (d) =>
      guard(async () => {
        await put(d).exec();
      }),
    listDeliveries: (limit, spaceId) =>
      guard(async () => {
        const ids = await redis.zrevrange(spaceId === undefined ? `${P}deliveries:new` : `${P}deliveries:new:${spaceId}`, 0, limit - 1);
        if (ids.length === 0) return [];
        return (await redis.mget(ids.map((id) => `${P}delivery:${id}`))).filter((j): j is string => j !== null).map((j) => JSON.parse(j) as Delivery);
      }),
    purgeDeliveriesBefore: (before) =>
      guard(async () => {
        const ids = await redis.zrangebyscore(`${P}deliveries:settled`, '-inf', `(${before}`, 'LIMIT', 0, 1000);
        if (ids.length === 0) return 0;
        const bodies = await redis.mget(ids.map((id) => `${P}delivery:${id}`));
        const tx = redis
          .multi()
          .zrem(`${P}deliveries:settled`, ...ids)
          .zrem(`${P}deliveries:new`, ...ids)
          .del(...ids.map((id) => `${P}delivery:${id}`));
        for (const body of bodies) if (body) tx.zrem(`${P}deliveries:new:${(JSON.parse(body) as Delivery).space_id}`, (JSON.parse(body) as Delivery).id);
        await tx.exec();
        return ids.length;
      }),
  };
}
