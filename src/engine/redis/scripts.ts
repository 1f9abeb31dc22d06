import { PARKING } from './parking-scripts.ts';

/**
 * The Redis engine's state changes, each one Lua script so it is atomic across every gateway
 * instance (Redis runs a script to completion before serving anything else).
 *
 * Keys, all under the instance-independent prefix P (ARGV[1]):
 *   P job:<id>      HASH  body (immutable job JSON), state, attempt, max_attempts, space_id, rank, priority, fair_by,
 *                         worker_id, lease_expires, started_at, finished_at, result, error, seq,
 *                         told (the `<attempt>:<position>` its last queued event gave),
 *                         attempt_seq (the seq when the current attempt was claimed)
 *   P log:<id>      STREAM the job's event log; entry id `<seq>-1`, field `l` = the event line
 *   P q:<spaceId>   ZSET  queued job ids by rank (core/queue-order.ts: priority, then round; a requeue
 *                         takes a round below every other of its priority: the head)
 *   P rank          counter of arrivals: the fifo policy's rounds, and (negated) requeues'
 *   P waiting       ZSET  queued jobs waiting out a retry's backoff, by the time they join their queue
 *   P rounds:<spaceId> HASH fair share's state: `dispatched` (the round of the last job taken), and per
 *                         caller with jobs waiting `n:<caller>` (how many), `l:<caller>` (the last one's round) and
 *                         `c:<caller>` (how many of theirs are in it: a caller of weight w puts w in a round)
 *   P moves:<spaceId> HASH how often the queue moved (core/ports/jobs.ts QueueState): `departures`, `ahead`
 *                         and, per part of the queue, up to which counts its moves were told (event-scripts.ts CLAIM_TELLING)
 *   P leases        ZSET  held job ids by lease expiry
 *   P deadlines     ZSET  unfinished job ids by deadline
 *   P jobids        ZSET  every kept job id at score 0, ordered by id (time-ordered): the admin listing
 *                         (`created`, by creation time, is what versions before it kept; purge still clears it)
 *   P finished      ZSET  final job ids by finish time (retention)
 *   P counts        HASH  state -> number of jobs kept in it
 *   P session:<id>  HASH  body (immutable session JSON), status, expires_at, max_images, generated_through
 *   P session-images:<id> / session-jobs:<id>  LISTs of image JSON / job ids
 *   P sessions      ZSET  session ids by expiry
 *   P jobblobs:<id> SET   blob ids owned by a job or a session
 *   P owned:<spaceId>:<budget key> SET  a caller's jobs in a space, for their budget (ended ones pruned lazily)
 *   P idem:<key>    STRING the job a submit's idempotency key made (deleted with the job; its hash keeps the key as `idem`)
 *   P ownerjobs:<ownerId> ZSET a caller's job ids, all at score 0 (ordered by id, which is time-ordered): their history
 *   P parked:<spaceId> ZSET workers' free slots waiting for a job, P assigned:<token> the job one was given (parking-scripts.ts)
 *
 * Event lines are built by the caller with the seq (and, for the first event, the queue position)
 * left out: the script joins `head .. number .. tail`, so it never parses JSON.
 * Keys are computed inside the scripts, so this needs one Redis (or Sentinel), not Cluster.
 */

/** The functions every script shares (event-scripts.ts too). */
export const SHARED = `
local P = ARGV[1]
local FINAL = { completed = true, failed = true, cancelled = true, timed_out = true }

local function count(from, to)
  if from then redis.call('HINCRBY', P .. 'counts', from, -1) end
  if to then redis.call('HINCRBY', P .. 'counts', to, 1) end
end

local function append(id, head, tail, maxEvents)
  local seq = redis.call('HINCRBY', P .. 'job:' .. id, 'seq', 1)
  -- '~': trimmed a node of entries at a time, not exactly; far cheaper, and a resume reads where the log starts
  local line = head .. seq .. tail
  redis.call('XADD', P .. 'log:' .. id, 'MAXLEN', '~', maxEvents, seq .. '-1', 'l', line)
  return seq, line
end

-- Appending publishes (core/ports/jobs.ts): job \`id\`'s payload (event lines, each after the prefix
-- naming its space, job and owner: event-channel.ts) on its space's channel, heard by the instances
-- whose clients watch the space, then on the own channel of each instance following the job (its
-- hash's \`to\`: the one it was submitted on and any that asked since, FOLLOW) — no other hears it.
-- \`to\` is the hash's field when the caller has read it already (false: it has none), else nil.
local function publish(id, channel, payload, to)
  redis.call('PUBLISH', channel, payload)
  if to == nil then to = redis.call('HGET', P .. 'job:' .. id, 'to') end
  if not to then return end
  for instance in string.gmatch(to, '%S+') do redis.call('PUBLISH', P .. 'to:' .. instance, payload) end
end

-- core/queue-order.ts's queueRank, as a score string (exact: below 2^53), and its inverse.
local PRIORITY_LIMIT, ROUNDS = 1000, 1099511627776
local function rankOf(priority, round)
  return string.format('%.0f', (PRIORITY_LIMIT - priority) * ROUNDS + round)
end
local function roundOf(rank, priority)
  return rank - (PRIORITY_LIMIT - priority) * ROUNDS
end

-- A field and its value added at the end of \`t\`, a flat list of field, value pairs (HSET's arguments, HGETALL's reply).
local function put(t, field, value) t[#t + 1], t[#t + 2] = field, value end

-- HGETALL's flat reply → each field's index of its value in it.
local function indexOf(h)
  local at = {}
  for i = 1, #h, 2 do at[h[i]] = i + 1 end
  return at
end

-- A job joined its space's queue at its rank: counted as an insertion ahead unless it is the tail; its
-- position. \`before\` is the queue's length before it joined, when the caller knows it.
local function placed(space, id, before)
  local q = P .. 'q:' .. space
  local position = redis.call('ZRANK', q, id)
  if position < (before or redis.call('ZCARD', q) - 1) then redis.call('HINCRBY', P .. 'moves:' .. space, 'ahead', 1) end
  return position
end

-- A queued job left the queue (taken, cancelled, timed out): counted, and its caller's share told.
local function leave(space, caller)
  redis.call('HINCRBY', P .. 'moves:' .. space, 'departures', 1)
  if not caller or caller == '' then return end
  local rounds = P .. 'rounds:' .. space
  if redis.call('HINCRBY', rounds, 'n:' .. caller, -1) <= 0 then redis.call('HDEL', rounds, 'n:' .. caller, 'l:' .. caller, 'c:' .. caller) end
end

-- A new job joins its space's queue in its round (core/queue-order.ts): the caller's next after their
-- last waiting one, or the one being dispatched when they have none waiting; under fifo, its arrival
-- → its position (placed's) and its rank, for the caller to write in its hash.
local function join(id, space, priority, caller, weight, before)
  local round
  if caller ~= '' then
    local rounds = P .. 'rounds:' .. space
    local waiting = tonumber(redis.call('HGET', rounds, 'n:' .. caller) or '0')
    local inLast = 1
    if waiting > 0 then
      -- A caller of weight w puts w jobs in each round before the next.
      round = tonumber(redis.call('HGET', rounds, 'l:' .. caller))
      local c = tonumber(redis.call('HGET', rounds, 'c:' .. caller) or '1')
      if c < weight then inLast = c + 1 else round = round + 1 end
    else round = tonumber(redis.call('HGET', rounds, 'dispatched') or '0') end
    redis.call('HSET', rounds, 'n:' .. caller, waiting + 1, 'l:' .. caller, string.format('%.0f', round), 'c:' .. caller, inLast)
  else
    round = redis.call('INCR', P .. 'rank')
  end
  local rank = rankOf(priority, round)
  redis.call('ZADD', P .. 'q:' .. space, rank, id)
  return placed(space, id, before), rank
end

-- A job goes back to the head of its priority in its space's queue (a requeue, or a backoff over).
local function rejoin(id, space)
  local job = P .. 'job:' .. id
  local g = redis.call('HMGET', job, 'priority', 'fair_by')
  local rank = rankOf(tonumber(g[1] or '0'), -redis.call('INCR', P .. 'rank'))
  if g[2] and g[2] ~= '' then
    local rounds = P .. 'rounds:' .. space
    if redis.call('HINCRBY', rounds, 'n:' .. g[2], 1) == 1 then redis.call('HSET', rounds, 'l:' .. g[2], redis.call('HGET', rounds, 'dispatched') or '0', 'c:' .. g[2], 1) end
  end
  redis.call('HSET', job, 'rank', rank)
  redis.call('ZADD', P .. 'q:' .. space, rank, id)
  return placed(space, id)
end

-- Job \`id\`, in state \`from\` (as the caller read it), ends in \`state\`; \`started\` is when it began
-- running, when it began in the same step (else nil).
local function finish(id, state, now, result, err, from, started)
  local job = P .. 'job:' .. id
  count(from, state)
  local fields = { 'state', state, 'finished_at', now }
  if started then put(fields, 'started_at', started) end
  if result ~= '' then put(fields, 'result', result) end
  if err ~= '' then put(fields, 'error', err) end
  redis.call('HSET', job, unpack(fields))
  redis.call('HDEL', job, 'lease_expires')
  redis.call('ZREM', P .. 'leases', id)
  redis.call('ZREM', P .. 'deadlines', id)
  redis.call('ZADD', P .. 'finished', now, id)
end

-- Job \`id\`, \`from\` that state and in no queue, begins its next attempt with \`worker\` until now +
-- leaseMs. \`h\` is its hash, flat, as the caller read it (HGETALL's reply; \`at\` its indexOf, when
-- known) → the same, changed to what the hash now holds.
local function assign(id, worker, leaseMs, now, from, h, at)
  at = at or indexOf(h)
  local expires = string.format('%.0f', tonumber(now) + tonumber(leaseMs))
  local set = { 'state', 'assigned', 'worker_id', worker, 'lease_expires', expires,
    'attempt', tostring(tonumber(h[at.attempt] or '0') + 1), 'attempt_seq', h[at.seq] or '0' }
  for i = 1, #set, 2 do
    local field, value = set[i], set[i + 1]
    if at[field] then h[at[field]] = value else put(h, field, value) end
  end
  redis.call('HSET', P .. 'job:' .. id, unpack(set))
  redis.call('ZADD', P .. 'leases', expires, id)
  count(from, 'assigned')
  return h
end

-- The job at the head of the oldest-headed queue among \`spaces\`, assigned to \`worker\` until
-- now + leaseMs (ports/jobs.ts claimJob): its hash, flat, and its id, or nil when every queue is empty.
local function claim(worker, leaseMs, now, spaces)
  local best, bestRank, bestQueue
  for _, space in ipairs(spaces) do
    local q = P .. 'q:' .. space
    local head = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
    if head[1] and (bestRank == nil or tonumber(head[2]) < bestRank) then
      best, bestRank, bestQueue = head[1], tonumber(head[2]), q
    end
  end
  if not best then return nil end
  redis.call('ZREM', bestQueue, best)
  local h = redis.call('HGETALL', P .. 'job:' .. best)
  local at = indexOf(h)
  local caller, space = h[at.fair_by], h[at.space_id]
  if caller and caller ~= '' then
    -- The round being dispatched moves on to this job's (core/queue-order.ts: QueueRounds.taken).
    local rounds = P .. 'rounds:' .. space
    local round = roundOf(bestRank, tonumber(h[at.priority]))
    if round > tonumber(redis.call('HGET', rounds, 'dispatched') or '0') then redis.call('HSET', rounds, 'dispatched', string.format('%.0f', round)) end
  end
  leave(space, caller)
  return assign(best, worker, leaseMs, now, 'queued', h, at), best
end

-- HMGET's state, worker_id, attempt (then any other fields) say \`worker\` holds the job in \`attempt\`.
local function holding(f, worker, attempt)
  return (f[1] == 'assigned' or f[1] == 'running') and f[2] == worker and f[3] == attempt
end

local function holds(id, worker, attempt)
  return holding(redis.call('HMGET', P .. 'job:' .. id, 'state', 'worker_id', 'attempt'), worker, attempt)
end
${PARKING}`;

/**
 * ARGV: P, id, spaceId, maxQueue, maxEvents, body, maxAttempts, deadline, createdAt, head, tail,
 * quotaKey ('' for none), quotaMax, channel, prefix, idempotency key ('' for none), owner id,
 * priority, the caller it shares the queue by ('' for fifo), notBefore ('' for now; else it waits in
 * P waiting until then, as a retry does), the caller's weight, the control channel and the line that
 * announces a claimable job ('' for none), now (ms), the instance submitting it (which follows its
 * events from the first) → position (where its rank put it); the first
 * event is published and, unless the job waits for its time, a parked slot of its space takes it
 * (parking-scripts.ts) or else, when the queue was empty before it, the announcement is published. When the idempotency key names a job still kept: that job's id, and
 * nothing else is done (checked before the queue and the budget: a retry of an accepted job is answered
 * even when the queue is full now). The caller's unfinished jobs of the space are kept in
 * P owned:<space>:<key> (a SET); ended ones are pruned only when it looks full, so a submit under
 * its budget costs one SCARD.
 */
export const SUBMIT = `${SHARED}
local id, space = ARGV[2], ARGV[3]
local idem = ARGV[16] ~= '' and P .. 'idem:' .. ARGV[16]
if idem then
  local existing = redis.call('GET', idem)
  if existing and redis.call('EXISTS', P .. 'job:' .. existing) == 1 then return existing end
end
local q = P .. 'q:' .. space
local position = redis.call('ZCARD', q)
if position >= tonumber(ARGV[4]) then return redis.error_reply('queue_full') end
if ARGV[12] ~= '' then
  local owned, max = P .. 'owned:' .. space .. ':' .. ARGV[12], tonumber(ARGV[13])
  if redis.call('SCARD', owned) >= max then
    for _, member in ipairs(redis.call('SMEMBERS', owned)) do
      local state = redis.call('HGET', P .. 'job:' .. member, 'state')
      if not state or FINAL[state] then redis.call('SREM', owned, member) end
    end
    if redis.call('SCARD', owned) >= max then return redis.error_reply('quota_exceeded') end
  end
  redis.call('SADD', owned, id)
  -- No job outlives its deadline (at most a day): a set untouched for two days holds none that count.
  redis.call('EXPIRE', owned, 172800)
end
-- The new job's hash, flat: written in one HSET below and, when a parked slot takes the job, handed
-- to it as it is (the job is new: these are all its fields).
local hash = { 'body', ARGV[6], 'state', 'queued', 'attempt', '0', 'max_attempts', ARGV[7], 'space_id', space,
  'priority', ARGV[18], 'fair_by', ARGV[19], 'fair_weight', ARGV[21], 'seq', '1', 'owner', ARGV[17], 'to', ARGV[25] }
-- An empty queue and a slot parked for it: the job goes straight to the slot, never queued.
local direct = ARGV[20] == '' and position == 0
local slot = direct and takeParked(space)
if ARGV[20] ~= '' then
  -- Not before then: it waits outside the queue (PROMOTE), its position the queue's length now.
  put(hash, 'not_before', ARGV[20])
  redis.call('ZADD', P .. 'waiting', ARGV[20], id)
elseif not slot then
  local rank
  position, rank = join(id, space, tonumber(ARGV[18]), ARGV[19], tonumber(ARGV[21]), position)
  put(hash, 'rank', rank)
end
put(hash, 'told', '0:' .. position)
if idem then
  redis.call('SET', idem, id)
  put(hash, 'idem', idem)
end
redis.call('HSET', P .. 'job:' .. id, unpack(hash))
redis.call('ZADD', P .. 'ownerjobs:' .. ARGV[17], 0, id)
local first = ARGV[10] .. position .. ARGV[11]
redis.call('XADD', P .. 'log:' .. id, 'MAXLEN', ARGV[5], '1-1', 'l', first)
publish(id, ARGV[14], ARGV[15] .. first, ARGV[25])
redis.call('ZADD', P .. 'deadlines', ARGV[8], id)
redis.call('ZADD', P .. 'jobids', 0, id)
if slot then
  hand(slot, assign(id, slot[3], slot[4], ARGV[24], nil, hash), id)
  return position
end
count(nil, 'queued')
-- Claimable now, into an empty queue where no slot waits (takeParked above looked): every instance's
-- dispatcher hears of it (ports/jobs.ts submitJob's announce). Not one waiting for its time, nor one
-- behind other jobs: no slot is parked while a queue of its spaces holds a job (parking-scripts.ts),
-- and a busy one claims the head as it frees.
if direct and ARGV[22] ~= '' then redis.call('PUBLISH', ARGV[22], ARGV[23]) end
return position
`;

/**
 * ARGV: P, workerId, leaseMs, now, slot ('' for none), spaceId... → the claimed job's hash (flat
 * array) or nil; nil with a slot has parked it (parking-scripts.ts).
 */
export const CLAIM = `${SHARED}
return claimOrPark(ARGV[2], ARGV[3], ARGV[4], { unpack(ARGV, 6) }, ARGV[5])
`;

/** ARGV: P, slot... → the slots that were still parked, now withdrawn (the others were assigned a job). */
export const UNPARK = `${SHARED}
local out = {}
for i = 2, #ARGV do
  if unpark(ARGV[i]) then out[#out + 1] = ARGV[i] end
end
return out
`;

/**
 * ARGV: P, id, worker, attempt, maxEvents, requeueHead, requeueTail, exhaustedHead,
 * exhaustedTail, exhaustedState, exhaustedErrorJson, now, channel, prefix, epoch (the new epoch a
 * requeue begins), notBefore ('' to queue at once; else it waits in P waiting until then) →
 * {seq, requeued 1|0} or nil; the event appended is published, and a job back in its queue goes
 * to a parked slot of its space if one waits.
 */
export const RELEASE = `${SHARED}
local id = ARGV[2]
local job = P .. 'job:' .. id
local f = redis.call('HMGET', job, 'state', 'worker_id', 'attempt', 'max_attempts', 'space_id', 'to')
if not holding(f, ARGV[3], ARGV[4]) then return nil end
if tonumber(f[3]) >= tonumber(f[4]) then
  local seq, line = append(id, ARGV[8], ARGV[9], ARGV[5])
  finish(id, ARGV[10], ARGV[12], '', ARGV[11], f[1])
  publish(id, ARGV[13], ARGV[14] .. line, f[6])
  return { seq, 0 }
end
redis.call('HSET', job, 'state', 'queued', 'told', f[3] .. ':0')
redis.call('HDEL', job, 'worker_id', 'lease_expires', 'started_at')
redis.call('ZREM', P .. 'leases', id)
if ARGV[16] == '' then rejoin(id, f[5])
else
  redis.call('HSET', job, 'not_before', ARGV[16], 'told', '')
  redis.call('ZADD', P .. 'waiting', ARGV[16], id)
end
count(f[1], 'queued')
local seq, line = append(id, ARGV[6], ARGV[7], ARGV[5])
redis.call('HSET', job, 'epoch', ARGV[15], 'epoch_seq', seq)
publish(id, ARGV[13], ARGV[14] .. line, f[6])
if ARGV[16] == '' then assignParked(f[5], ARGV[12]) end
return { seq, 1 }
`;

/** ARGV: P, id, maxEvents, head, tail, finalState, errorJson, now, channel, prefix → {seq, hash of the job before...} or nil; the event is published. */
export const END = `${SHARED}
local id = ARGV[2]
local job = P .. 'job:' .. id
local before = redis.call('HGETALL', job)
local at = indexOf(before)
local state = before[at.state]
if not state or FINAL[state] then return nil end
if state == 'queued' then
  local space = before[at.space_id]
  -- Counted as waiting in its queue only while in it (not while waiting out a backoff).
  if redis.call('ZREM', P .. 'q:' .. space, id) == 1 then leave(space, before[at.fair_by]) end
  redis.call('ZREM', P .. 'waiting', id)
end
local seq, line = append(id, ARGV[4], ARGV[5], ARGV[3])
finish(id, ARGV[6], ARGV[8], '', ARGV[7], state)
publish(id, ARGV[9], ARGV[10] .. line, before[at.to] or false)
table.insert(before, 1, seq)
return before
`;
