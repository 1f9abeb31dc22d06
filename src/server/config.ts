import { DEFAULT_BUDGETS, type Budgets } from '../core/budgets.ts';
import { LIVE_MEDIA_DEFAULTS } from '../core/ports/blobs.ts';
import type { CoreOptions } from '../core/gateway-core.ts';

/** Limits of the network edge. Every one is an option with a documented default (docs/operations.md). */
export interface Limits {
  /** Open WebSocket connections (all endpoints) before upgrades get 503. @default 10_000 */
  maxConnections: number;
  /** Largest frame a client may send on /v1/ws (ws closes larger ones with 1009). @default 32 MiB */
  clientMaxMessageBytes: number;
  /** Largest frame a worker may send on /v1/worker. @default 128 MiB */
  workerMaxMessageBytes: number;
  /** Bytes queued for one connection before it is closed as a slow consumer (4008). @default 8 MiB */
  maxOutboundBytes: number;
  /** Sustained messages per second per connection; more get `rate_limited`. @default 500 */
  messagesPerSecond: number;
  /** Burst allowance on top of the rate. @default 1000 */
  messageBurst: number;
  /** The same for workers, which stream (several jobs of tokens at once). @default 10_000/s, burst 20_000 */
  workerMessagesPerSecond: number;
  workerMessageBurst: number;
  /** Close a connection that sent and received nothing for this long (0 = never). @default 600_000 */
  idleTimeoutMs: number;
  /** WebSocket ping interval; a peer that misses a pong is dropped. @default 30_000 */
  pingIntervalMs: number;
  /** Largest blob (POST /v1/blobs, one file in a message or result). @default 100 MiB */
  maxBlobBytes: number;
  /** Largest JSON body on the REST API. @default 32 MiB */
  maxJsonBodyBytes: number;
  /** Bytes of uploads (POST /v1/blobs) and job submits (POST /v1/jobs) being received at once, by the whole gateway; more get `busy`. @default 512 MiB */
  maxUploadBytesInFlight: number;
  /** Messages of one connection read but not yet handled before it is no longer read (until half are). @default 2000 */
  maxInboundBacklog: number;
  /**
   * Output one job's worker may send (tokens' text, progress messages, partials' and the result's
   * data as JSON; files are budgeted apart): past it the job fails with `output_too_large`, so one
   * worker cannot fill the store every job shares. @default 64 MiB
   */
  maxJobOutputBytes: number;
}

export interface GatewayConfig {
  port: number;
  host: string;
  dataDir: string;
  /**
   * Where unfinished resumable uploads (/v1/uploads, tus) are kept. Instances behind one load
   * balancer share one directory, so any of them can take the next part of any upload.
   * @default <dataDir>/tus-uploads
   */
  uploadsDir?: string | undefined;
  tls?: { cert: string; key: string } | undefined;
  adminToken: string;
  /** Origins allowed to open WebSockets and call the API from a browser; empty = any. */
  allowedOrigins: string[];
  /**
   * Reverse proxies (exact addresses) whose X-Forwarded-For names the client, for budgets and
   * sign-in throttling; anyone else's header is ignored. @default []
   */
  trustedProxies: string[];
  /**
   * Private hosts, addresses and ranges (`10.0.0.0/8`) webhooks may reach; every other private or
   * reserved address is refused (docs/webhooks.md). @default []
   */
  webhookAllow: string[];
  signIn: SignInLimits;
  /** What one caller (user, API key, anonymous client address) may hold at once (core/budgets.ts). */
  budgets: Budgets;
  limits: Limits;
  core: CoreOptions & {
    /** How often workers are asked to send heartbeats (must be well under leaseMs). @default 10_000 */
    heartbeatMs: number;
  };
  /** Most events kept per job. @default 10_000 */
  maxEventsPerJob: number;
  /** Each space's activity (queue, jobs ended, their times) is sampled this often for the admin's charts; an hour of samples is kept. @default 10_000 */
  activityIntervalMs: number;
  /**
   * Embedded store: memory for one running job's event log; older events are read back from
   * SQLite when a client resumes from before them. @default 8 MiB
   */
  maxEventBytesPerJob: number;
  /**
   * Embedded store: run the store's own process, which applies the job journal to SQLite and
   * checkpoints SQLite's write-ahead log this often, off the event loop (0 = both in-process).
   * @default 0; `spaceport serve`: 200
   */
  checkpointIntervalMs: number;
  /**
   * Embedded store: how often a job's in-between events and states join the journal. Accepted
   * jobs and final results never wait for it. @default 50
   */
  flushIntervalMs: number;
  /** Embedded store: how often the journal's segment goes to SQLite (reads that need SQLite do not wait for it). @default 1000 */
  applyIntervalMs: number;
  /**
   * Live media — the files of partial events — is held this long for clients that replay it, up
   * to `liveMediaBytes`, newest kept: of memory (embedded engine), or of Redis per instance (the
   * files it stored). Never written to disk.
   * @default 60_000 ms, 64 MiB
   */
  liveMediaMs: number;
  liveMediaBytes: number;
  /**
   * A young-generation garbage collection is asked for after this many bytes of binary WebSocket
   * data received into new Buffers, so they are freed before they can set off full collections
   * (young-collector.ts). It changes V8 flags for the whole process, so a program that starts a
   * gateway opts in: 0 (off) unless set; `spaceport serve` sets 8 MiB. @default 0
   */
  youngCollectionBytes: number;
  /**
   * How connections read and write (src/wire/): `fast` with the tricks of src/wire/fast/, `plain` on
   * ws's public API only (slower; for telling a fast-path bug from any other). @default 'fast'
   */
  wire: 'fast' | 'plain';
  /** The spaces the documented dialects hand their work to (docs/dialects.md). */
  dialects: DialectSpaces;
  /** Share everything through this Redis (many instances) instead of the embedded store. */
  redis?: { url: string; prefix?: string | undefined; maxBlobBytes?: number | undefined; commandTimeoutMs?: number | undefined } | undefined;
  logLevel: string;
}

/**
 * Failed sign-ins before a username or a client address must wait, and how the wait grows: it
 * doubles with each further failure from `baseDelayMs` up to `maxDelayMs`.
 * @default 5 per username, 20 per address, 1 s, 15 min
 */
export interface SignInLimits {
  userFailures: number;
  addressFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SIGN_IN: SignInLimits = { userFailures: 5, addressFailures: 20, baseDelayMs: 1000, maxDelayMs: 900_000 };

export interface DialectSpaces {
  /** /ws queries (token streaming). @default 'text-generation' */
  tokenStreamSpace: string;
  /** /ws/lip-sync processing (audio + image → video). @default 'audio-image-to-video' */
  lipSyncSpace: string;
  /** /ws/reconstruct sessions (images → 3D). @default 'images-to-3d' */
  reconstructSpace: string;
}

export const DEFAULT_DIALECT_SPACES: DialectSpaces = {
  tokenStreamSpace: 'text-generation',
  lipSyncSpace: 'audio-image-to-video',
  reconstructSpace: 'images-to-3d',
};

export const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Limits = {
  maxConnections: 10_000,
  clientMaxMessageBytes: 32 * MiB,
  workerMaxMessageBytes: 128 * MiB,
  maxOutboundBytes: 8 * MiB,
  messagesPerSecond: 500,
  messageBurst: 1000,
  workerMessagesPerSecond: 10_000,
  workerMessageBurst: 20_000,
  idleTimeoutMs: 600_000,
  pingIntervalMs: 30_000,
  maxBlobBytes: 100 * MiB,
  maxJsonBodyBytes: 32 * MiB,
  maxUploadBytesInFlight: 512 * MiB,
  maxInboundBacklog: 1000,
  maxJobOutputBytes: 64 * MiB,
};

export const DEFAULT_CORE: GatewayConfig['core'] = {
  leaseMs: 30_000,
  heartbeatMs: 10_000,
  cancelGraceMs: 10_000,
  reattachGraceMs: 5000,
  sweepIntervalMs: 1000,
  retentionMs: 24 * 3600_000,
  uploadRetentionMs: 3600_000,
  statusIntervalMs: 250,
};

export type GatewayOptions = Partial<Omit<GatewayConfig, 'limits' | 'core' | 'dialects' | 'signIn' | 'budgets'>> & {
  signIn?: Partial<SignInLimits>;
  budgets?: Partial<Budgets>;
  dialects?: Partial<DialectSpaces>;
  adminToken: string;
  dataDir: string;
  limits?: Partial<Limits>;
  core?: Partial<GatewayConfig['core']>;
  /** False: /health answers 503 `starting` until the caller's `markReady()` (`spaceport serve` first creates its demo spaces). @default true */
  startReady?: boolean;
};

export function resolveConfig(options: GatewayOptions): GatewayConfig {
  return {
    port: options.port ?? 8000,
    host: options.host ?? '0.0.0.0',
    dataDir: options.dataDir,
    uploadsDir: options.uploadsDir,
    tls: options.tls,
    adminToken: options.adminToken,
    allowedOrigins: options.allowedOrigins ?? [],
    trustedProxies: options.trustedProxies ?? [],
    webhookAllow: options.webhookAllow ?? [],
    signIn: { ...DEFAULT_SIGN_IN, ...options.signIn },
    budgets: { ...DEFAULT_BUDGETS, ...options.budgets },
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    core: { ...DEFAULT_CORE, ...options.core },
    maxEventsPerJob: options.maxEventsPerJob ?? 10_000,
    activityIntervalMs: options.activityIntervalMs ?? 10_000,
    maxEventBytesPerJob: options.maxEventBytesPerJob ?? 8 * MiB,
    checkpointIntervalMs: options.checkpointIntervalMs ?? 0,
    flushIntervalMs: options.flushIntervalMs ?? 50,
    applyIntervalMs: options.applyIntervalMs ?? 1000,
    liveMediaMs: options.liveMediaMs ?? LIVE_MEDIA_DEFAULTS.ms,
    liveMediaBytes: options.liveMediaBytes ?? LIVE_MEDIA_DEFAULTS.bytes,
    youngCollectionBytes: options.youngCollectionBytes ?? 0,
    wire: options.wire ?? 'fast',
    redis: options.redis,
    dialects: { ...DEFAULT_DIALECT_SPACES, ...options.dialects },
    logLevel: options.logLevel ?? 'info',
  };
}
