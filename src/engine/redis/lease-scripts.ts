import { SHARED } from './scripts.ts';

/** The Redis engine's scripts that pass on or extend a held job's lease (scripts.ts has the keys). */

/**
 * ARGV: P, id, fromWorker, attempt, toWorker, leaseMs, now → when the lease passed to toWorker, how
 * many events the attempt has in the log (-1: claimed before they were counted); else nil.
 */
export const REATTACH = `${SHARED}
local id = ARGV[2]
if not holds(id, ARGV[3], ARGV[4]) then return nil end
local job = P .. 'job:' .. id
local expires = tonumber(ARGV[7]) + tonumber(ARGV[6])
redis.call('HSET', job, 'worker_id', ARGV[5], 'lease_expires', expires)
redis.call('ZADD', P .. 'leases', expires, id)
local f = redis.call('HMGET', job, 'seq', 'attempt_seq')
if not f[2] then return -1 end
return tonumber(f[1]) - tonumber(f[2])
`;

/** REATTACH's answer as the engine port has it. */
export const receivedOf = (out: number | null): { received?: number } | null => (out === null ? null : out < 0 ? {} : { received: Number(out) });

/** ARGV: P, workerId, leaseMs, now, jobId... */
export const RENEW = `${SHARED}
local expires = tonumber(ARGV[4]) + tonumber(ARGV[3])
for i = 5, #ARGV do
  local job = P .. 'job:' .. ARGV[i]
  local f = redis.call('HMGET', job, 'state', 'worker_id')
  if (f[1] == 'assigned' or f[1] == 'running') and f[2] == ARGV[2] then
    redis.call('HSET', job, 'lease_expires', expires)
    redis.call('ZADD', P .. 'leases', expires, ARGV[i])
  end
end
return 0
`;
