import { SHARED } from './scripts.ts';

/** The Redis engine's scripts that append to a job's log or publish to its subscribers (scripts.ts has the keys). */

/** What APPEND and APPEND_STREAM share: a worker's streamed events of a turn appended at once, and the move to running. */
const STREAMED = `
-- Appends the head, tail pairs ARGV[from..], then \`head\`, \`tail\` when given, as the next events
-- of job \`id\` (one HINCRBY for all their seqs), each \`prefix .. line\` added to \`messages\`
-- (published as one batch) → the seqs of the first and the last (nil when there are none).
local function appendPairs(id, from, maxEvents, prefix, messages, head, tail)
  local n = (#ARGV - from + 1) / 2 + (head and 1 or 0)
  if n == 0 then return nil end
  local seq = redis.call('HINCRBY', P .. 'job:' .. id, 'seq', n) - n
  local first = seq + 1
  local log = P .. 'log:' .. id
  local function add(h, t)
    seq = seq + 1
    local line = h .. seq .. t
    -- '~' as in append()
    redis.call('XADD', log, 'MAXLEN', '~', maxEvents, seq .. '-1', 'l', line)
    messages[#messages + 1] = prefix .. line
  end
  for i = from, #ARGV, 2 do add(ARGV[i], ARGV[i + 1]) end
  if head then add(head, tail) end
  return first, seq
end

-- A \`started\` moves a job that is \`state\` (assigned) to running.
local function running(id, state, now)
  if state ~= 'assigned' then return end
  redis.call('HSET', P .. 'job:' .. id, 'state', 'running', 'started_at', now)
  count('assigned', 'running')
end
`;

/**
 * ARGV: P, id, holderWorker ('' = no holder check), holderAttempt, maxEvents, head, tail, type,
 * finalState ('' = not final), resultJson, errorJson, now, channel, prefix → seq, or nil when
 * refused; the event is published. With more — a holder's final event that also claims the
 * holder's next job (ports/jobs.ts finishAndClaim): leaseMs, the slot parked when it finds
 * nothing (CLAIM's), the number of spaces m, m spaceIds,
 * started ('1' or ''), then head, tail pairs of the holder's streamed events of the turn before it
 * (TurnBatch), appended first and published with it in one PUBLISH, as APPEND_STREAM would →
 * {seq of the final event, the claimed job's hash (flat; nothing when every queue is empty)...}.
 */
export const APPEND = `${SHARED}${STREAMED}
local id = ARGV[2]
local f = redis.call('HMGET', P .. 'job:' .. id, 'state', 'worker_id', 'attempt', 'to')
local state = f[1]
if not state or FINAL[state] then return nil end
if ARGV[3] ~= '' and not holding(f, ARGV[3], ARGV[4]) then return nil end
local claiming = ARGV[15] ~= nil
local starting = ARGV[8] == 'started'
local messages = {}
local spaces = {}
-- The turn's streamed events (none unless claiming), then this one.
local from = #ARGV + 1
if claiming then
  local m = tonumber(ARGV[17])
  spaces = { unpack(ARGV, 18, 17 + m) }
  from = 19 + m
  if ARGV[18 + m] == '1' then starting = true end
end
local _, seq = appendPairs(id, from, ARGV[5], ARGV[14], messages, ARGV[6], ARGV[7])
-- Started and ended in one step: one write of the hash, counted from assigned straight to the end.
local began = starting and state == 'assigned' and ARGV[12] or nil
if ARGV[9] ~= '' then finish(id, ARGV[9], ARGV[12], ARGV[10], ARGV[11], state, began)
elseif began then running(id, state, ARGV[12]) end
publish(id, ARGV[13], table.concat(messages, '\\n'), f[4])
if not claiming then return seq end
if ARGV[9] == '' or ARGV[3] == '' then return { seq } end
local out = claimOrPark(ARGV[3], ARGV[15], ARGV[12], spaces, ARGV[16]) or {}
table.insert(out, 1, seq)
return out
`;

/**
 * A refresh's position updates for one space's queue, told in one step. ARGV: P, spaceId, channel,
 * then for each update: id, position, and the event's prefix split around the owner with the line
 * after it (event-channel.ts prefixAroundOwner: head, tail .. line; the owner is read here, from the
 * hash) → for each, 1 when published (not kept in the log), 0 when the job is not queued there or
 * its attempt was told this position already (from any instance). The published ones go in one
 * PUBLISH on the space's channel and one to each instance following any of them, as a batch.
 */
export const TELL = `
local P, space = ARGV[1], ARGV[2]
local all, byInstance, out = {}, {}, {}
for i = 4, #ARGV, 4 do
  local job = P .. 'job:' .. ARGV[i]
  local f = redis.call('HMGET', job, 'state', 'attempt', 'told', 'to', 'owner', 'space_id')
  local told = f[1] == 'queued' and f[6] == space and f[5] and f[2] .. ':' .. ARGV[i + 1]
  if not told or f[3] == told then
    out[#out + 1] = 0
  else
    redis.call('HSET', job, 'told', told)
    local message = ARGV[i + 2] .. f[5] .. ARGV[i + 3]
    all[#all + 1] = message
    for instance in string.gmatch(f[4] or '', '%S+') do
      local list = byInstance[instance] or {}
      byInstance[instance] = list
      list[#list + 1] = message
    end
    out[#out + 1] = 1
  end
end
if #all > 0 then redis.call('PUBLISH', ARGV[3], table.concat(all, '\\n')) end
for instance, list in pairs(byInstance) do redis.call('PUBLISH', P .. 'to:' .. instance, table.concat(list, '\\n')) end
return out
`;

/**
 * ARGV: P, spaceId, departures, insertionsAhead (a QueueState's counts), everyMs, the part of the
 * queue (each part's claims apart) → when no instance has claimed telling the part's moves up to
 * counts this far: {1, the counts claimed before (-1, -1 for none)}, and these are now claimed —
 * unless the last claim was less than everyMs ago (by Redis's clock, the one all instances share):
 * {2}, nothing claimed; else 0. Kept in P moves:<space> beside the counts (fields `<part>:departures`,
 * `<part>:ahead`, `<part>:at`), so a space made anew starts again.
 */
export const CLAIM_TELLING = `
local key, part = ARGV[1] .. 'moves:' .. ARGV[2], ARGV[6] .. ':'
local f = redis.call('HMGET', key, part .. 'departures', part .. 'ahead', part .. 'at')
local d, a = tonumber(ARGV[3]), tonumber(ARGV[4])
local toldD, toldA = tonumber(f[1] or '-1'), tonumber(f[2] or '-1')
if d <= toldD and a <= toldA then return 0 end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if f[3] and now - tonumber(f[3]) < tonumber(ARGV[5]) then return { 2 } end
redis.call('HSET', key, part .. 'departures', math.max(d, toldD), part .. 'ahead', math.max(a, toldA), part .. 'at', now)
return { 1, toldD, toldA }
`;

/**
 * A worker's events before its job's end (started, tokens, progress, partials) gathered in one
 * tick, for one job held by one worker, appended and published in one step: one PUBLISH of
 * `prefix .. line` for each, joined by newlines (the bus's batch format); a `started` among them
 * moves the job from assigned to running, as APPEND does. ARGV: P, id, worker, attempt, maxEvents,
 * channel, prefix, now, started ('1' when one of them is a `started`, else ''), head1, tail1, head2,
 * tail2, … → the seq of the first, or nil (nothing appended or published) when the worker no
 * longer holds the job.
 */
export const APPEND_STREAM = `${SHARED}${STREAMED}
local id = ARGV[2]
local f = redis.call('HMGET', P .. 'job:' .. id, 'state', 'worker_id', 'attempt', 'to')
if not holding(f, ARGV[3], ARGV[4]) then return nil end
local messages = {}
local first = appendPairs(id, 10, ARGV[5], ARGV[7], messages)
if ARGV[9] == '1' then running(id, f[1], ARGV[8]) end
publish(id, ARGV[6], table.concat(messages, '\\n'), f[4])
return first
`;

/**
 * ARGV: P, id, instance → 1 when the job is kept and its events now reach the instance (its own
 * channel joins the job's \`to\`), 0 when there is no such job. At most 16 instances are named: past
 * that, those no longer alive are dropped first.
 */
export const FOLLOW = `${SHARED}
local job = P .. 'job:' .. ARGV[2]
if redis.call('EXISTS', job) == 0 then return 0 end
local to = redis.call('HGET', job, 'to') or ''
local named = {}
for instance in string.gmatch(to, '%S+') do
  if instance == ARGV[3] then return 1 end
  named[#named + 1] = instance
end
if #named >= 16 then
  local alive = {}
  for _, instance in ipairs(named) do
    if redis.call('EXISTS', P .. 'instance:' .. instance) == 1 then alive[#alive + 1] = instance end
  end
  while #alive >= 16 do table.remove(alive, 1) end
  named = alive
end
named[#named + 1] = ARGV[3]
redis.call('HSET', job, 'to', table.concat(named, ' '))
return 1
`;
