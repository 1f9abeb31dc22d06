import { Redis } from 'ioredis';
import { FINAL_EVENT_STATE, type JobEvent, STREAMED_TYPES } from '../../protocol/job-events.ts';
import { newId } from '../../core/ids.ts';
import type { Job, JobResult } from '../../core/types.ts';
import type { JobRef, LeaseHolder } from '../../core/ports/jobs.ts';
import type { BusListener } from '../../core/ports/bus.ts';
import type { CredentialRecord, UserRecord } from '../../core/ports/records.ts';
import type { Engine } from '../../core/engine-port.ts';
import { LIVE_MEDIA_DEFAULTS } from '../../core/ports/blobs.ts';
import { encodeEvent, spaceEventChannel } from './event-channel.ts';
import { redisEventSubscriptions } from './event-subscriptions.ts';
import { splitBatch, TurnBatch } from './turn-batch.ts';
import { CHANNEL } from '../../core/topics.ts';
import { SPACES_CHANNEL } from './space-cache.ts';
import { redisSpaces } from './redis-spaces.ts';

import { redisConnectionCounts } from './redis-connections.ts';
import { redisCredentials } from './redis-credentials.ts';
import { redisSessions } from './redis-sessions.ts';
import { redisBlobs } from './redis-blobs.ts';
import { finalRecord, jobBody, jobFromHash, lineAroundPosition, lineAroundSeq } from './job-hash.ts';
import { ADD_SESSION_IMAGE, DELETE_SESSION, PUT_NAMED } from './record-scripts.ts';
import { redisDeliveries } from './redis-deliveries.ts';
import { jobReader, redisJobReads, redisQueueReads } from './redis-queue-reads.ts';
import { redisWorkers } from './redis-workers.ts';
import { APPEND, APPEND_STREAM, CLAIM_TELLING, FOLLOW, TELL } from './event-scripts.ts';
import { redisParking } from './redis-parking.ts';
import { redisPositions } from './redis-positions.ts';
import { corkPerTurn } from './turn-cork.ts';
import { checkRedisSettings, refuseCluster } from './redis-settings.ts';
import { guard } from './redis-guard.ts';
import { blobLaneFor } from './blob-lane.ts';
import { watchCommands } from './command-watchdog.ts';
import { REATTACH, RENEW, receivedOf } from './lease-scripts.ts';
import { CLAIM, END, RELEASE, SUBMIT, UNPARK } from './scripts.ts';
import { PROMOTE, PURGE } from './sweep-scripts.ts';

export interface RedisEngineOptions {
  url: string;
  /** Every key and channel starts with this, so several systems (or tests) share one Redis. @default 'spaceport:' */
  prefix?: string;
  maxEventsPerJob?: number;
  /** Largest blob kept in Redis. @default 32 MiB */
  maxBlobBytes?: number;
  /** How long a partial event's file is held (putLiveBlob). @default 60_000 */
  liveMediaMs?: number;
  /** The most bytes of those one instance keeps in Redis at once, oldest deleted first (live-media-budget.ts). @default 64 MiB */
  liveMediaBytes?: number;
  /** How long an instance counts as alive without refreshing its presence. @default 15_000 */
  instanceTtlMs?: number;
  /** A command Redis has not answered in this long fails with `unavailable` (a hung Redis must not hang submits). @default 5000 */
  commandTimeoutMs?: number;
  /** How long a worker's changed running count alone may wait to be written (redis-workers.ts). @default 200 */
  runningWriteMs?: number;
  /** How long a worker's `started`, alone in its turn, may wait for the job's next event to share its call (turn-batch.ts). @default 2 */
  startedHoldMs?: number;
  /** Told about Redis settings that put jobs at risk or cost them (redis-settings.ts). */
  warn?: (message: string) => void;
}

const SCRIPTS = { SUBMIT, CLAIM, UNPARK, RENEW, REATTACH, APPEND, TELL, CLAIM_TELLING, APPEND_STREAM, FOLLOW, RELEASE, PROMOTE, END, PURGE, PUT_NAMED, ADD_SESSION_IMAGE, DELETE_SESSION };
type ScriptName = keyof typeof SCRIPTS;

/**
 * The engine for many gateway instances: everything shared lives in one Redis. State changes are
 * Lua scripts (atomic across instances), event logs are Streams (a client resumes by seq on any
 * instance), and the bus is pub/sub — a job's events reach only the instances that follow the job
 * or watch its space (event-subscriptions.ts), and a burst of a job's tokens shares one script
 * call and one PUBLISH per instance that wants it, whatever its number of subscribers. While Redis is
 * unreachable every call fails at once with `unavailable` (no offline queue that would hold a
 * submit nobody acknowledged), and sockets stay up.
 */
export async function createRedisEngine(options: RedisEngineOptions): Promise<Engine> {
  const P = options.prefix ?? 'spaceport:';
  const maxEvents = options.maxEventsPerJob ?? 10_000;
  const maxBlob = options.maxBlobBytes ?? 32 * 1024 * 1024;
  const liveMs = options.liveMediaMs ?? LIVE_MEDIA_DEFAULTS.ms;
  const ttl = options.instanceTtlMs ?? 15_000;
  const connect = () =>
    new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      retryStrategy: (n) => Math.min(n * 200, 2000),
    });
  const redis = connect();
  const lane = blobLaneFor(options.url, options.commandTimeoutMs ?? 5000);
  const sub = connect();
  // Errors surface on each call as `unavailable`; the connection objects' own reports would only repeat them.
  for (const connection of [redis, sub]) connection.on('error', () => {});
  await Promise.all([redis.connect(), sub.connect()]);
  const stopWatching = watchCommands(redis, options.commandTimeoutMs ?? 5000);
  await refuseCluster(redis).catch((err: unknown) => {
    stopWatching();
    for (const connection of [redis, sub]) connection.disconnect();
    lane?.close();
    throw err;
  });
  if (options.warn) await checkRedisSettings(redis, options.warn);

  const shas = new Map<ScriptName, string>();
  for (const [name, source] of Object.entries(SCRIPTS)) shas.set(name as ScriptName, (await redis.script('LOAD', source)) as string);

  const cork = corkPerTurn(redis);
  const script = (name: ScriptName, args: Array<string | number>) => {
    cork();
    return redis.evalsha(shas.get(name)!, 0, P, ...args).catch(async (err: Error) => {
      if (!err.message.includes('NOSCRIPT')) throw err; // a restarted Redis forgot the scripts
      return redis.eval(SCRIPTS[name], 0, P, ...args);
    });
  };

  const instanceId = newId('gw');
  const presence = async () => {
    await redis.set(`${P}instance:${instanceId}`, '1', 'PX', ttl).catch(() => {});
  };
  await presence();
  const presenceTimer = setInterval(() => void presence(), Math.max(100, ttl / 3));
  presenceTimer.unref();

  const listeners = new Set<BusListener>();
  const busPrefix = `${P}bus:`;
  const busPattern = `${busPrefix}*`;
  await sub.psubscribe(busPattern);
  sub.on('pmessage', (pattern: string, channel: string, payload: string) => {
    if (pattern !== busPattern) return; // every space's job events (event-subscriptions.ts)
    const local = channel.slice(busPrefix.length);
    if (local === SPACES_CHANNEL) return spaceRecords.forget();
    for (const message of splitBatch(payload)) for (const l of listeners) l.message(local, message);
  });
  const events = await redisEventSubscriptions(sub, P, instanceId, listeners);
  /** Where a job's events are published (every script that appends one publishes it), and the prefix naming the job. */
  const eventTarget = (job: JobRef) => [spaceEventChannel(P, job.spaceId), encodeEvent(job.spaceId, job.id, job.ownerId, '')];
  const turn = new TurnBatch(
    // Subscribers resync by seq on resume, so a publish lost with the connection is not an error here.
    (channel, payload) => void redis.publish(busPrefix + channel, payload).catch(() => {}),
    (job, holder, lines, started) =>
      guard(async () => {
        const first = await script('APPEND_STREAM', [job.id, holder.workerId, holder.attempt, maxEvents, ...eventTarget(job), Date.now(), started ? '1' : '', ...lines]);
        return first !== null;
      }),
    options.startedHoldMs ?? 2,
  );
  /** Every script runs after what this turn gathered before it: messages and events keep their order. */
  const run = (name: ScriptName, args: Array<string | number>) => {
    turn.flush();
    return script(name, args);
  };

  /** APPEND's arguments for an event (holder '' when none is checked). */
  const appendArgs = (job: JobRef, event: JobEvent, holder?: LeaseHolder, result?: JobResult) => {
    const [head, tail] = lineAroundSeq(job.id, event);
    const final = FINAL_EVENT_STATE[event.type] ?? '';
    const record = final ? finalRecord(event, result) : { result: '', error: '' };
    return [job.id, holder?.workerId ?? '', holder?.attempt ?? '', maxEvents, head, tail, event.type, final, record.result, record.error, Date.now(), ...eventTarget(job)];
  };
  const putUser = async (user: UserRecord) => void (await run('PUT_NAMED', ['users', 'user-names', user.id, user.username.toLowerCase(), JSON.stringify(user), 'user_exists', 'username', '1']));
  const getJob = jobReader(redis, P);
  const credentials = redisCredentials(redis, P);
  const spaceRecords = redisSpaces(redis, P, {
    busPrefix,
    putNamed: (space) => run('PUT_NAMED', ['spaces', 'space-names', space.id, space.name, JSON.stringify(space), 'space_exists', 'name', '0']),
    workerTokens: (spaceId) => credentials.listCredentials('worker_token', spaceId),
  });
  const parking = redisParking(
    instanceId,
    async (slots) => (await run('UNPARK', slots)) as string[],
    async (token) => {
      const id = await redis.get(`${P}assigned:${token}`);
      return id ? getJob(id) : null;
    },
  );
  // Jobs assigned to this instance's parked slots come on a channel of its own (parking-scripts.ts).
  const assignments = `${P}assign:${instanceId}`;
  await sub.subscribe(assignments);
  sub.on('message', (channel: string, payload: string) => channel === assignments && parking.assigned(payload));
  // A connection that dropped may have lost assignments (or Redis its data): every parked slot is
  // withdrawn and claims again, and one assigned meanwhile is looked up (redis-parking.ts).
  for (const connection of [redis, sub]) connection.on('ready', () => void parking.unpark().catch(() => {}));
  /** CLAIM; with a slot, a claim that finds nothing parks it. */
  const claim = (spaceIds: string[], workerId: string, leaseMs: number, slot = '') =>
    guard(async () => {
      if (spaceIds.length === 0) return null;
      const hash = (await run('CLAIM', [workerId, leaseMs, Date.now(), slot, ...spaceIds])) as string[] | null;
      return hash && jobFromHash(hash);
    });
  const { close: closeWorkers, ...workerPresence } = redisWorkers(redis, P, options.runningWriteMs ?? 200);
  let closed = false;

  const engine: Engine = {
    instanceId,
    remote: true,

    ...spaceRecords.spaces,
    ...credentials,
    ...redisDeliveries(redis, P),

    submitJob: (job, maxQueue, firstEvent, announce, quota) =>
      guard(async () => {
        const [head, tail] = lineAroundPosition(job.id, firstEvent);
        const budget = quota ? [quota.key, quota.max] : ['', 0];
        const target = eventTarget({ id: job.id, spaceId: job.space_id, ownerId: job.owner.id });
        const out = await run('SUBMIT', [
          job.id,
          job.space_id,
          maxQueue,
          maxEvents,
          jobBody(job),
          job.max_attempts,
          job.deadline,
          job.created_at,
          head,
          tail,
          ...budget,
          ...target,
          job.idempotency?.key ?? '',
          job.owner.id,
          job.priority ?? 0,
          job.fair_by ?? '',
          job.not_before ?? '',
          job.fair_weight ?? 1,
          // The script announces the job itself: instances with free workers claim it without
          // waiting for this reply and a PUBLISH of ours (one round trip fewer before a dispatch).
          announce === undefined ? '' : busPrefix + CHANNEL.control,
          announce ?? '',
          Date.now(),
          instanceId,
        ]);
        if (typeof out === 'string') return { existing: out }; // the job the idempotency key made
        const position = Number(out);
        return { line: head + position + tail, position };
      }),
    claimJob: (spaceIds, workerId, leaseMs) => claim(spaceIds, workerId, leaseMs),
    claimOrPark: async (spaceIds, workerId, leaseMs) => {
      const wait = parking.claim(workerId, spaceIds, leaseMs);
      const job = await wait.during(claim(spaceIds, workerId, leaseMs, wait.slot));
      // Nothing claimed: the slot parked (when it has spaces to park in).
      return wait.answer(job, !job && spaceIds.length > 0);
    },
    unpark: (workerId) => guard(() => parking.unpark(workerId)),
    reattachJob: (jobId, from, toWorkerId, leaseMs) => guard(async () => receivedOf((await run('REATTACH', [jobId, from.workerId, from.attempt, toWorkerId, leaseMs, Date.now()])) as number | null)),
    renewLeases: (workerId, jobIds, leaseMs) => guard(async () => void (jobIds.length && (await run('RENEW', [workerId, leaseMs, Date.now(), ...jobIds])))),
    appendEvent: (job, event, holder, result) => {
      // A worker's event before its job's end joins its turn's batch, whose call reports failures
      // as this would: no async step of its own per token.
      if (holder && STREAMED_TYPES.has(event.type)) {
        const [head, tail] = lineAroundSeq(job.id, event);
        return turn.stream(job, holder, head, tail, event.type === 'started');
      }
      return guard(async () => (await run('APPEND', appendArgs(job, event, holder, result))) !== null);
    },
    // One script: the holder's streamed events still in this turn (a short job's `started`), the
    // final event, then the claim (event-scripts.ts: APPEND with a lease and spaces).
    finishAndClaim: (job, event, holder, result, next) => {
      const streamed = turn.take(holder);
      const wait = parking.claim(holder.workerId, next.spaceIds, next.leaseMs);
      const claimArgs = [next.leaseMs, wait.slot, next.spaceIds.length, ...next.spaceIds, streamed?.started ? '1' : '', ...(streamed?.lines ?? [])];
      const sent = guard(async () => {
        const out = (await wait.during(run('APPEND', [...appendArgs(job, event, holder, result), ...claimArgs]))) as Array<string | number> | null;
        const claimed = out && out.length > 1 ? jobFromHash(out.slice(1) as string[]) : null;
        // Appended with nothing to claim: the slot parked.
        return { kept: out !== null, next: wait.answer(claimed, out !== null && !claimed) };
      });
      sent.then(
        (out) => streamed?.settle(out.kept),
        (err: unknown) => streamed?.fail(err),
      );
      return sent;
    },
    ...redisPositions(P, run, script),
    releaseJob: (job, holder, requeued, exhausted, notBefore) =>
      guard(async () => {
        const jobId = job.id;
        // Gateway restarts lose nothing in Redis: only a requeue begins an epoch, numbered by the attempt it follows.
        const epoch = holder.attempt + 1;
        const [rHead, rTail] = lineAroundSeq(jobId, { ...requeued(0), epoch } as JobEvent);
        const [xHead, xTail] = lineAroundSeq(jobId, exhausted);
        const out = (await run('RELEASE', [
          jobId,
          holder.workerId,
          holder.attempt,
          maxEvents,
          rHead,
          rTail,
          xHead,
          xTail,
          FINAL_EVENT_STATE[exhausted.type]!,
          finalRecord(exhausted).error,
          Date.now(),
          ...eventTarget(job),
          epoch,
          notBefore ?? '',
        ])) as [number, number] | null;
        return out && { requeued: Number(out[1]) === 1 };
      }),
    // A bounded batch each sweep: a backlog of due jobs joins over a few sweeps, not in one long script.
    promoteDue: (now) => guard(async () => ((await run('PROMOTE', [now, 1000])) as string[]).map((pair) => ({ spaceId: pair.split(' ')[0]!, jobId: pair.split(' ')[1]! }))),
    endJob: (job, event) =>
      guard(async () => {
        const [head, tail] = lineAroundSeq(job.id, event);
        const args = [job.id, maxEvents, head, tail, FINAL_EVENT_STATE[event.type]!, finalRecord(event).error, Date.now(), ...eventTarget(job)];
        const out = (await run('END', args)) as Array<string | number> | null;
        return out && jobFromHash(out.slice(1) as string[]);
      }),
    ...redisJobReads(redis, P),
    ...redisQueueReads(redis, P),
    listJobs: ({ spaceId, state, ownerId, before, limit }) =>
      guard(async () => {
        const out: Job[] = [];
        // A caller's history reads their own index; everyone's, the index of all job ids.
        const index = ownerId ? `${P}ownerjobs:${ownerId}` : `${P}jobids`;
        let cursor = before;
        while (out.length < limit) {
          const ids = await redis.zrange(index, cursor ? `(${cursor}` : '+', '-', 'BYLEX', 'REV', 'LIMIT', 0, 200);
          if (ids.length === 0) break;
          for (const job of await Promise.all(ids.map(getJob))) {
            if (job && (!spaceId || job.space_id === spaceId) && (!state || job.state === state)) out.push(job);
            if (out.length >= limit) break;
          }
          cursor = ids.at(-1);
        }
        return out;
      }),
    purgeFinishedBefore: (before) => guard(async () => ((await run('PURGE', [before, 1000])) as string[]).length),

    createUser: (user) => guard(() => putUser(user)),
    updateUser: (user) => guard(() => putUser(user)),
    getUser: (id) =>
      guard(async () => {
        const json = await redis.hget(`${P}users`, id);
        return json ? (JSON.parse(json) as UserRecord) : null;
      }),
    findUser: (username) =>
      guard(async () => {
        const id = await redis.hget(`${P}user-names`, username.toLowerCase());
        return id ? engine.getUser(id) : null;
      }),
    listUsers: () =>
      guard(async () =>
        Object.values(await redis.hgetall(`${P}users`))
          .map((u) => JSON.parse(u) as UserRecord)
          .sort((a, b) => a.username.localeCompare(b.username)),
      ),
    deleteUser: (id) =>
      guard(async () => {
        const user = await engine.getUser(id);
        if (!user) return false;
        await redis.multi().hdel(`${P}users`, id).hdel(`${P}user-names`, user.username.toLowerCase()).exec();
        for (const c of Object.values(await redis.hgetall(`${P}credentials`)).map((j) => JSON.parse(j) as CredentialRecord)) {
          if (c.user_id === id && c.revoked_at === null) await engine.revokeCredential(c.id);
        }
        return true;
      }),

    ...redisSessions(redis, P, run),

    countInWindow: (key, windowMs) =>
      guard(async () => {
        // A window is a counter that expires with it: made (with its expiry) by the first event, counted by every instance.
        const k = `${P}rate:${key}`;
        const replies = (await redis.multi().set(k, 0, 'PX', windowMs, 'NX').incr(k).pttl(k).exec()) as Array<[Error | null, unknown]>;
        return { count: Number(replies[1]![1]), resetInMs: Math.max(0, Number(replies[2]![1])) };
      }),
    ...workerPresence,

    ...redisBlobs(redis, P, { maxBlobBytes: maxBlob, liveMediaMs: liveMs, liveMediaBytes: options.liveMediaBytes ?? LIVE_MEDIA_DEFAULTS.bytes }, lane),
    connectionCounts: redisConnectionCounts(redis, P, instanceId),

    publish: (channel, message) => turn.publish(channel, message),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    follow: (jobId) => guard(async () => (await run('FOLLOW', [jobId, instanceId])) === 1),
    watch: events.watch,

    async close() {
      if (closed) return;
      closed = true;
      turn.flush();
      clearInterval(presenceTimer);
      stopWatching();
      closeWorkers();
      listeners.clear();
      await redis.del(`${P}instance:${instanceId}`).catch(() => {});
      sub.disconnect();
      lane?.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
  return engine;
}
