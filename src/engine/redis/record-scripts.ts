/**
 * The Redis engine's scripts for sessions and named records (each atomic across every gateway
 * instance, as scripts.ts's for jobs are); key layout in scripts.ts.
 */

/** ARGV: P, id, imageJson, now → number of images, or error session_not_found / session_closed / session_full */
export const ADD_SESSION_IMAGE = `
local P, id = ARGV[1], ARGV[2]
local key = P .. 'session:' .. id
local f = redis.call('HMGET', key, 'status', 'expires_at', 'max_images')
if not f[1] or tonumber(f[2]) <= tonumber(ARGV[4]) then return redis.error_reply('session_not_found') end
if f[1] ~= 'open' then return redis.error_reply('session_closed') end
local images = P .. 'session-images:' .. id
if redis.call('LLEN', images) >= tonumber(f[3]) then return redis.error_reply('session_full') end
return redis.call('RPUSH', images, ARGV[3])
`;

/** ARGV: P, id → 1 if the session (with its lists and image blobs) was deleted, else 0 */
export const DELETE_SESSION = `
local P, id = ARGV[1], ARGV[2]
if redis.call('EXISTS', P .. 'session:' .. id) == 0 then return 0 end
for _, blob in ipairs(redis.call('SMEMBERS', P .. 'jobblobs:' .. id)) do
  redis.call('DEL', P .. 'blob:' .. blob, P .. 'blobmeta:' .. blob)
end
redis.call('DEL', P .. 'session:' .. id, P .. 'session-images:' .. id, P .. 'session-jobs:' .. id, P .. 'jobblobs:' .. id)
redis.call('ZREM', P .. 'sessions', id)
return 1
`;

/**
 * A record kept unique by a name (spaces by name, users by lowercased username).
 * ARGV: P, table, name index, id, name as indexed, json, error code, JSON field holding the name,
 * '1' when the index is lowercased → 'ok', or the error code when another record has the name.
 */
export const PUT_NAMED = `
local P, tbl, index, id, name = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local owner = redis.call('HGET', P .. index, name)
if owner and owner ~= id then return redis.error_reply(ARGV[7]) end
local old = redis.call('HGET', P .. tbl, id)
if old then
  local oldName = cjson.decode(old)[ARGV[8]]
  if ARGV[9] == '1' then oldName = string.lower(oldName) end
  if oldName ~= name then redis.call('HDEL', P .. index, oldName) end
end
redis.call('HSET', P .. tbl, id, ARGV[6])
redis.call('HSET', P .. index, name, id)
return 'ok'
`;
