import { resolve } from 'node:path';
import { DIALECTS } from '../dialects/dialects.ts';
import { startGateway } from '../server/gateway.ts';
import { loadAdminToken } from './admin-token.ts';
import { startBuiltinWorkers } from './builtin-workers.ts';
import { createDemoSpaces } from '../workers/demo-space-list.ts';

export interface ServeFlags {
  port: string;
  host: string;
  data: string;
  tlsCert?: string;
  tlsKey?: string;
  allowedOrigin?: string[];
  trustedProxy?: string[];
  redis?: string;
  /** How connections read and write: fast (the default) or plain (src/wire/). */
  wire?: string;
  /** Commander's `--no-demo`: false turns the built-in workers and demo spaces off. */
  demo: boolean;
}

function wireNamed(name: string): 'fast' | 'plain' {
  if (name !== 'fast' && name !== 'plain') throw new Error(`--wire is fast or plain, not "${name}".`);
  return name;
}

/** Environment variables that tune intervals and limits (handy for tests and operations). */
function numberFromEnv(name: string): number | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export async function serve(flags: ServeFlags): Promise<void> {
  const dataDir = resolve(flags.data);
  const admin = loadAdminToken(dataDir, process.env.SPACEPORT_ADMIN_TOKEN);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together.');
  const demo = flags.demo && process.env.SPACEPORT_DEMO !== '0';
  const gateway = await startGateway({
    speaks: DIALECTS,
    // Ready once the demo spaces exist: a script that waits for /health finds them (GET /v1/plugins).
    startReady: !demo,
    port: Number(flags.port),
    host: flags.host,
    dataDir,
    uploadsDir: process.env.SPACEPORT_UPLOADS_DIR || undefined,
    adminToken: admin.token,
    logLevel: process.env.LOG_LEVEL ?? 'info',
    // The store's own process keeps SQLite's multi-millisecond writes off the event loop.
    checkpointIntervalMs: numberFromEnv('SPACEPORT_CHECKPOINT_MS') ?? 200,
    // The process is ours: young collections for binary frames on (a library user opts in).
    youngCollectionBytes: numberFromEnv('SPACEPORT_YOUNG_GC_BYTES') ?? 8 * 1024 * 1024,
    wire: wireNamed(flags.wire ?? process.env.SPACEPORT_WIRE ?? 'fast'),
    ...defined({
      flushIntervalMs: numberFromEnv('SPACEPORT_FLUSH_MS'),
      applyIntervalMs: numberFromEnv('SPACEPORT_APPLY_MS'),
      liveMediaMs: numberFromEnv('SPACEPORT_LIVE_MEDIA_MS'),
      liveMediaBytes: numberFromEnv('SPACEPORT_LIVE_MEDIA_BYTES'),
      maxEventBytesPerJob: numberFromEnv('SPACEPORT_MAX_EVENT_BYTES'),
      activityIntervalMs: numberFromEnv('SPACEPORT_ACTIVITY_INTERVAL_MS'),
    }),
    allowedOrigins: flags.allowedOrigin ?? process.env.SPACEPORT_ALLOWED_ORIGINS?.split(',').filter(Boolean) ?? [],
    trustedProxies: flags.trustedProxy ?? process.env.SPACEPORT_TRUSTED_PROXIES?.split(',').filter(Boolean) ?? [],
    webhookAllow: process.env.SPACEPORT_WEBHOOK_ALLOW?.split(',').filter(Boolean) ?? [],
    signIn: defined({
      userFailures: numberFromEnv('SPACEPORT_SIGNIN_USER_FAILURES'),
      addressFailures: numberFromEnv('SPACEPORT_SIGNIN_ADDRESS_FAILURES'),
      baseDelayMs: numberFromEnv('SPACEPORT_SIGNIN_DELAY_MS'),
      maxDelayMs: numberFromEnv('SPACEPORT_SIGNIN_MAX_DELAY_MS'),
    }),
    ...(flags.tlsCert && flags.tlsKey && { tls: { cert: flags.tlsCert, key: flags.tlsKey } }),
    ...((flags.redis ?? process.env.SPACEPORT_REDIS_URL) && {
      redis: {
        url: (flags.redis ?? process.env.SPACEPORT_REDIS_URL)!,
        prefix: process.env.SPACEPORT_REDIS_PREFIX || undefined,
        maxBlobBytes: numberFromEnv('SPACEPORT_REDIS_MAX_BLOB_BYTES'),
        commandTimeoutMs: numberFromEnv('SPACEPORT_REDIS_TIMEOUT_MS'),
      },
    }),
    core: defined({
      leaseMs: numberFromEnv('SPACEPORT_LEASE_MS'),
      heartbeatMs: numberFromEnv('SPACEPORT_HEARTBEAT_MS'),
      sweepIntervalMs: numberFromEnv('SPACEPORT_SWEEP_MS'),
      statusIntervalMs: numberFromEnv('SPACEPORT_STATUS_INTERVAL_MS'),
      retentionMs: numberFromEnv('SPACEPORT_RETENTION_MS'),
      uploadRetentionMs: numberFromEnv('SPACEPORT_UPLOAD_RETENTION_MS'),
      cancelGraceMs: numberFromEnv('SPACEPORT_CANCEL_GRACE_MS'),
      reattachGraceMs: numberFromEnv('SPACEPORT_REATTACH_GRACE_MS'),
      webhookIntervalMs: numberFromEnv('SPACEPORT_WEBHOOK_MS'),
      webhookRetryMs: numberFromEnv('SPACEPORT_WEBHOOK_RETRY_MS'),
    }),
    limits: defined({
      maxConnections: numberFromEnv('SPACEPORT_MAX_CONNECTIONS'),
      pingIntervalMs: numberFromEnv('SPACEPORT_PING_MS'),
      idleTimeoutMs: numberFromEnv('SPACEPORT_IDLE_TIMEOUT_MS'),
      maxOutboundBytes: numberFromEnv('SPACEPORT_MAX_OUTBOUND_BYTES'),
      messagesPerSecond: numberFromEnv('SPACEPORT_MESSAGES_PER_SECOND'),
      workerMessagesPerSecond: numberFromEnv('SPACEPORT_WORKER_MESSAGES_PER_SECOND'),
      maxInboundBacklog: numberFromEnv('SPACEPORT_MAX_INBOUND_BACKLOG'),
      maxUploadBytesInFlight: numberFromEnv('SPACEPORT_MAX_UPLOAD_IN_FLIGHT'),
      maxJobOutputBytes: numberFromEnv('SPACEPORT_MAX_JOB_OUTPUT_BYTES'),
    }),
    budgets: defined({
      jobsPerSpace: numberFromEnv('SPACEPORT_BUDGET_JOBS'),
      sessions: numberFromEnv('SPACEPORT_BUDGET_SESSIONS'),
      connections: numberFromEnv('SPACEPORT_BUDGET_CONNECTIONS'),
      anonymousConnections: numberFromEnv('SPACEPORT_BUDGET_ANONYMOUS_CONNECTIONS'),
      uploadBytes: numberFromEnv('SPACEPORT_BUDGET_UPLOAD_BYTES'),
      submitsPerMinute: numberFromEnv('SPACEPORT_BUDGET_SUBMITS_PER_MINUTE'),
      maxPriority: numberFromEnv('SPACEPORT_MAX_PRIORITY'),
    }),
  });

  const local = gateway.url.replace('0.0.0.0', '127.0.0.1');
  if (demo) {
    await createDemoSpaces(local, admin.token);
    gateway.markReady();
  }
  const out = process.stderr;
  out.write(`\nSpaceport listening on ${gateway.url}\n`);
  out.write(`  clients:  ${gateway.url.replace(/^http/, 'ws')}/v1/ws\n`);
  out.write(`  workers:  ${gateway.url.replace(/^http/, 'ws')}/v1/worker\n`);
  out.write(`  data:     ${dataDir}\n`);
  if (gateway.config.redis) out.write(`  engine:   redis (${gateway.config.redis.url.replace(/\/\/[^@]*@/, '//***@')}), instance ${gateway.context.engine.instanceId}\n`);
  if (admin.source === 'created') {
    out.write(`\nA new admin token was created and saved to ${admin.file}:\n\n  ${admin.token}\n\n`);
    out.write(`Use it as a bearer token, e.g.\n  curl -H "Authorization: Bearer ${admin.token}" ${gateway.url}/v1/admin/spaces\n\n`);
  } else {
    out.write(`  admin token: ${admin.source === 'env' ? 'from SPACEPORT_ADMIN_TOKEN' : `in ${admin.file}`}\n\n`);
  }
  // A machine-readable line for scripts and tests that start the gateway on port 0.
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: gateway.url, port: gateway.port })}\n`);

  const stopWorkers = demo ? startBuiltinWorkers(local, admin.token, (line) => out.write(`${line}\n`)) : async () => {};
  if (demo) out.write(`Built-in workers are starting for the demo spaces (--no-demo to skip them).\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    out.write(`\n${signal}: shutting down (closing sockets, saving state)\n`);
    stopWorkers()
      .then(() => gateway.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          out.write(`shutdown failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
