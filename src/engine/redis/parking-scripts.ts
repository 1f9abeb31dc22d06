/**
 * Parked slots (ports/jobs.ts claimOrPark): a claim that finds every queue of its worker empty
 * leaves the slot waiting in those queues, and the next job to join one is assigned to it in that
 * job's own script (SUBMIT, RELEASE, PROMOTE) — no announcement, no claim of its own, one round
 * trip fewer between a job and an idle worker. The assignment is published on the slot's
 * instance's channel (P bus:assign:<instance>) as `<token> <the job's hash as a JSON array>`.
 *
 *   P park:<token>   HASH  worker, lease (ms), spaces (ids joined by ' '), instance
 *   P parked:<space> ZSET  tokens of slots waiting for the space's jobs, by when they parked
 *
 * An instance whose key (P instance:<id>) has expired is gone: its slots are dropped when met.
 * Appended to SHARED (scripts.ts): it uses claim().
 */
export const PARKING = `
local function park(token, worker, leaseMs, spaces, instance, now)
  redis.call('HSET', P .. 'park:' .. token, 'worker', worker, 'lease', leaseMs, 'spaces', table.concat(spaces, ' '), 'instance', instance)
  for _, space in ipairs(spaces) do redis.call('ZADD', P .. 'parked:' .. space, now, token) end
end

-- The slot leaves every queue it waits in → true when it was still parked.
local function unpark(token)
  local spaces = redis.call('HGET', P .. 'park:' .. token, 'spaces')
  if not spaces then return false end
  for space in string.gmatch(spaces, '%S+') do redis.call('ZREM', P .. 'parked:' .. space, token) end
  redis.call('DEL', P .. 'park:' .. token)
  return true
end

-- The slots parked in \`space\` take its queued jobs, longest waiting first, while both last → how many did.
local function assignParked(space, now)
  local n, q, parked = 0, P .. 'q:' .. space, P .. 'parked:' .. space
  while redis.call('EXISTS', q) == 1 do
    local token = redis.call('ZRANGE', parked, 0, 0)[1]
    if not token then return n end
    local f = redis.call('HMGET', P .. 'park:' .. token, 'worker', 'lease', 'spaces', 'instance')
    if not unpark(token) then redis.call('ZREM', parked, token)
    elseif redis.call('EXISTS', P .. 'instance:' .. f[4]) == 1 then
      local spaces = {}
      for s in string.gmatch(f[3], '%S+') do spaces[#spaces + 1] = s end
      local hash = claim(f[1], f[2], now, spaces)
      redis.call('PUBLISH', P .. 'bus:assign:' .. f[4], token .. ' ' .. cjson.encode(hash))
      n = n + 1
    end
  end
  return n
end
`;
