import { SHARED } from './scripts.ts';

/** The Redis engine's scripts its sweeps run, in bounded slices: old jobs purged, waiting jobs due promoted (scripts.ts has the keys). */

/** ARGV: P, before, limit → ids purged (their jobs, logs and blobs deleted) */
export const PURGE = `${SHARED}
local ids = redis.call('ZRANGEBYSCORE', P .. 'finished', '-inf', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', P .. 'job:' .. id, 'state', 'idem', 'owner')
  count(f[1], nil)
  if f[2] then redis.call('DEL', f[2]) end
  if f[3] then redis.call('ZREM', P .. 'ownerjobs:' .. f[3], id) end
  for _, blob in ipairs(redis.call('SMEMBERS', P .. 'jobblobs:' .. id)) do
    redis.call('DEL', P .. 'blob:' .. blob, P .. 'blobmeta:' .. blob)
  end
  redis.call('DEL', P .. 'job:' .. id, P .. 'log:' .. id, P .. 'jobblobs:' .. id)
  redis.call('ZREM', P .. 'finished', id)
  redis.call('ZREM', P .. 'jobids', id)
  redis.call('ZREM', P .. 'created', id)
end
return ids
`;

/**
 * ARGV: P, now, limit → the waiting jobs due at `now` that joined their queues (a retry at the head
 * of its priority, a delayed submit as a new job), each as `<space id> <job id>` (ids have no spaces);
 * the parked slots of their spaces take them.
 */
export const PROMOTE = `${SHARED}
local out, seen, spaces = {}, {}, {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'waiting', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  redis.call('ZREM', P .. 'waiting', id)
  local job = P .. 'job:' .. id
  local f = redis.call('HMGET', job, 'state', 'space_id', 'attempt', 'priority', 'fair_by', 'fair_weight')
  if f[1] == 'queued' then
    redis.call('HDEL', job, 'not_before')
    -- A delayed submit (no attempt yet) joins as a new job would; a retry goes back to the head.
    if f[3] == '0' then
      local _, rank = join(id, f[2], tonumber(f[4] or '0'), f[5] or '', tonumber(f[6] or '1'))
      redis.call('HSET', job, 'rank', rank)
    else rejoin(id, f[2]) end
    table.insert(out, f[2] .. ' ' .. id)
    if not seen[f[2]] then
      seen[f[2]] = true
      table.insert(spaces, f[2])
    end
  end
end
-- Each space once, in the order its jobs came due.
for _, space in ipairs(spaces) do assignParked(space, ARGV[2]) end
return out
`;
