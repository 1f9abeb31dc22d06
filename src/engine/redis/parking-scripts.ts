/**
 * Parked slots (ports/jobs.ts claimOrPark): a claim that finds every queue of its worker empty
 * leaves the slot waiting in those queues, and the next job to join one is assigned to it in that
 * job's own script (SUBMIT, RELEASE, PROMOTE) — no announcement, no claim of its own, one round
 * trip fewer between a job and an idle worker. A submit to an empty queue does not even join it:
 * the new job goes straight to the slot. The assignment is published on the slot's instance's own
 * channel (P assign:<instance>, outside the bus every instance hears) as `<token> <the job's hash
 * as a JSON array>`, and the job's id is kept under P assigned:<token> for the lease's length, where
 * an instance whose subscription dropped finds what it may have missed.
 *
 *   P parked:<space> ZSET  slots waiting for the space's jobs, by when they parked; each member is
 *                          the whole slot, `<token> <instance> <worker> <lease ms> <space id>...`
 *                          (redis-parking.ts makes it; ids have no spaces), so serving one reads
 *                          nothing else
 *
 * An instance whose key (P instance:<id>) has expired is gone: its slots are dropped when met.
 * Appended to SHARED (scripts.ts): it uses claim().
 */
export const PARKING = `
local function slotFields(slot)
  local f = {}
  for w in string.gmatch(slot, '%S+') do f[#f + 1] = w end
  return f
end

local function park(slot, now)
  local f = slotFields(slot)
  for i = 5, #f do redis.call('ZADD', P .. 'parked:' .. f[i], now, slot) end
end

-- claim(), and when it finds nothing, \`slot\` ('' for none) parks.
local function claimOrPark(worker, leaseMs, now, spaces, slot)
  local hash = claim(worker, leaseMs, now, spaces)
  if not hash and slot ~= '' then park(slot, now) end
  return hash
end

-- The slot leaves every queue it waits in → its fields when it was still parked, else nil.
local function unpark(slot)
  local f = slotFields(slot)
  local was = 0
  for i = 5, #f do was = was + redis.call('ZREM', P .. 'parked:' .. f[i], slot) end
  if was > 0 then return f end
end

-- The slot parked longest in \`space\` whose instance is alive, taken out of every queue it waits in → its fields, or nil.
local function takeParked(space)
  local parked = P .. 'parked:' .. space
  while true do
    local slot = redis.call('ZRANGE', parked, 0, 0)[1]
    if not slot then return nil end
    local f = unpark(slot)
    if redis.call('EXISTS', P .. 'instance:' .. f[2]) == 1 then return f end
  end
end

-- The slot \`f\` was assigned job \`id\` (its hash, flat): told to its instance.
local function hand(f, hash, id)
  redis.call('PUBLISH', P .. 'assign:' .. f[2], f[1] .. ' ' .. cjson.encode(hash))
  redis.call('SET', P .. 'assigned:' .. f[1], id, 'PX', f[4])
end

-- The slots parked in \`space\` take its queued jobs, longest waiting first, while both last → how many did.
local function assignParked(space, now)
  local n, q = 0, P .. 'q:' .. space
  while redis.call('EXISTS', q) == 1 do
    local f = takeParked(space)
    if not f then return n end
    local hash, id = claim(f[3], f[4], now, { unpack(f, 5) })
    hand(f, hash, id)
    n = n + 1
  end
  return n
end
`;
