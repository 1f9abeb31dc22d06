import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { createCore } from '../core/gateway-core.ts';
import type { Identity } from '../core/types.ts';
import { createEmbeddedEngine } from '../engine/embedded/embedded-engine.ts';
import type { Engine } from '../core/engine-port.ts';
import { CLOSE } from '../protocol/close-codes.ts';
import { ERRORS, SpaceportError, asSpaceportError, type ErrorCode } from '../protocol/errors.ts';
import { Authenticator, presentedSecretHash, presentedToken } from './auth.ts';
import { CredentialWatch, type Bucket } from './credential-watch.ts';
import { ConnectionBudget } from './connection-budget.ts';
import { Visitors } from './visitors.ts';
import type { Dialect, WsEndpoint } from './dialect.ts';
import { InFlightBytes } from './upload-intake.ts';
import { budgetKey } from '../core/budgets.ts';
import { resolveConfig, type GatewayConfig, type GatewayOptions } from './config.ts';
import { sendError } from './http-io.ts';
import { Router } from './http-router.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, metricsTelemetry } from './metrics.ts';
import { accountRoutes } from './routes/account-routes.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { blobRoutes } from './routes/blob-routes.ts';
import { uploadRoutes } from './routes/upload-routes.ts';
import { jobRoutes } from './routes/job-routes.ts';
import { publicRoutes } from './routes/public-routes.ts';
import { sdkRoutes } from './routes/sdk-routes.ts';
import { uiRoutes, wantsPage } from './routes/ui-routes.ts';
import { SpaceActivity } from './space-activity.ts';
import { spaceStatuses } from '../core/queue-monitor.ts';
import type { ServerContext } from './server-context.ts';
import { acceptClient } from './ws/client-endpoint.ts';
import { PeerRegistry } from './ws/peer-registry.ts';
import { acceptWorker } from './ws/worker-endpoint.ts';
import { fastWire } from '../wire/fast/fast-connection.ts';
import { YoungCollector } from '../wire/fast/young-collector.ts';
import { plainWire } from '../wire/plain.ts';
import type { Connection } from '../wire/connection.ts';
import { WebhookDestinations } from './webhook-destinations.ts';
import { webhookRoutes } from './routes/webhook-routes.ts';
import { webhookSender } from './webhook-sender.ts';

export interface Gateway {
  readonly config: GatewayConfig;
  readonly context: ServerContext;
  /** http(s)://host:port of the listening server. */
  readonly url: string;
  readonly port: number;
  /** /health says healthy from now on (for a gateway started with `startReady: false`). */
  markReady(): void;
  /** Stops accepting, closes sockets (workers 1012, clients 1001), flushes the engine. Idempotent. */
  close(): Promise<void>;
}

export type { WsEndpoint } from './dialect.ts';

/** `speaks`: the documented protocols of other products it serves too (the CLI passes src/dialects' list). */
export async function startGateway(options: GatewayOptions & { engine?: Engine; logger?: Logger; speaks?: readonly Dialect[] }): Promise<Gateway> {
  const config = resolveConfig(options);
  const log = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const engine =
    options.engine ??
    (config.redis
      ? // Loaded only when asked for: ioredis and the engine are ~2.4 MB of heap the embedded engine never uses.
        await (await import('../engine/redis/redis-engine.ts')).createRedisEngine({
          ...config.redis,
          maxEventsPerJob: config.maxEventsPerJob,
          liveMediaMs: config.liveMediaMs,
          liveMediaBytes: config.liveMediaBytes,
          warn: (message) => log.warn(message),
        })
      : createEmbeddedEngine({
          dataDir: config.dataDir,
          maxEventsPerJob: config.maxEventsPerJob,
          maxEventBytesPerJob: config.maxEventBytesPerJob,
          checkpointIntervalMs: config.checkpointIntervalMs,
          flushIntervalMs: config.flushIntervalMs,
          applyIntervalMs: config.applyIntervalMs,
          warn: (message) => log.warn(message),
          liveMediaMs: config.liveMediaMs,
          liveMediaBytes: config.liveMediaBytes,
          restoredLeaseMs: config.core.leaseMs,
        }));
  const credentials = new CredentialWatch();
  const destinations = new WebhookDestinations(config.webhookAllow);
  const webhookOptions = { webhookSender: webhookSender(destinations) };
  const activity = new SpaceActivity(config.activityIntervalMs);
  const core = createCore(engine, { ...config.core, ...webhookOptions, budgets: config.budgets }, metricsTelemetry(metrics, log, activity), (control) => {
    if (control.op === 'revoked') credentials.revoked(control);
    else if (control.op === 'activity') activity.receive(control.t, control.parts);
  });
  const visitors = new Visitors(config.adminToken, config.trustedProxies, config.tls !== undefined);
  const auth = new Authenticator(engine, config.adminToken, visitors);
  const connections = new ConnectionBudget(engine.connectionCounts);
  const peers = new PeerRegistry(config.limits.pingIntervalMs, config.limits.idleTimeoutMs, (peer) => untrack(peer.connection));
  const wire = config.wire === 'plain' ? plainWire : fastWire(new YoungCollector(config.youngCollectionBytes));
  const ctx: ServerContext = {
    activity,
    destinations,
    config,
    core,
    engine,
    auth,
    metrics,
    log,
    peers,
    credentials,
    bodiesInFlight: new InFlightBytes(config.limits.maxUploadBytesInFlight),
    startedAt: Date.now(),
    ready: options.startReady ?? true,
    shuttingDown: false,
  };

  const router = new Router();
  publicRoutes(router, ctx);
  adminRoutes(router, ctx);
  webhookRoutes(router, ctx);
  accountRoutes(router, ctx);
  jobRoutes(router, ctx);
  blobRoutes(router, ctx);
  uploadRoutes(router, ctx);
  sdkRoutes(router, ctx);
  for (const dialect of options.speaks ?? []) dialect.routes?.(router, ctx);
  const notFoundPage = uiRoutes(router, ctx);

  const endpoints: WsEndpoint[] = [
    {
      path: '/v1/ws',
      maxPayload: config.limits.clientMaxMessageBytes,
      authenticate: (req, url) => auth.identifyBrowser(req, url, config.allowedOrigins, true),
      accept: (connection, _req, _url, who) => acceptClient(ctx, connection, who!),
    },
    {
      path: '/v1/worker',
      maxPayload: config.limits.workerMaxMessageBytes,
      authenticate: async () => undefined, // the worker token comes with `register`
      accept: (connection, req, url) => acceptWorker(ctx, connection, presentedToken(req, url)),
    },
    ...(options.speaks ?? []).flatMap((dialect) => dialect.endpoints?.(ctx) ?? []),
  ];

  const handleRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestUrl(req);
    if (!url) return sendError(res, new SpaceportError('invalid_message', 'The request target is not a valid path.'));
    try {
      if (!originAllowed(config, req)) throw new SpaceportError('origin_not_allowed');
      if (allowCors(req, res)) return;
      // A browser loading a page becomes a visitor of its own (visitors.ts).
      if (req.method === 'GET' && req.headers.accept?.includes('text/html')) visitors.greet(req, res);
      const match = router.match(req.method ?? 'GET', url.pathname);
      if (match === null && wantsPage(req)) return notFoundPage(res);
      if (match === null) throw new SpaceportError('not_found', `No route for ${req.method} ${url.pathname}.`);
      if (match === 'method') throw new SpaceportError('method_not_allowed', `${req.method} is not allowed on ${url.pathname}.`);
      let who: Promise<Identity> | undefined;
      await match.handler({
        req,
        res,
        url,
        params: match.params,
        who: () => (who ??= auth.identifyBrowser(req, url, config.allowedOrigins, !SAFE_METHODS.has(req.method ?? 'GET'))),
      });
    } catch (err) {
      const e = asSpaceportError(err);
      if (e.code === 'internal_error') log.error({ err, method: req.method, path: url.pathname }, 'request failed');
      metrics.errors.inc({ code: e.code });
      sendError(res, e);
    }
  };

  const server = config.tls
    ? createHttpsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, (req, res) => void handleRequest(req, res))
    : createHttpServer((req, res) => void handleRequest(req, res));

  // One listener for every socket (a function per socket would be memory held per connection).
  const logSocketError = (err: Error) => log.debug({ err: err.message }, 'socket error');
  const servers = new Map(endpoints.map((e) => [e, new WebSocketServer({ noServer: true, maxPayload: e.maxPayload, perMessageDeflate: false })]));

  // Dialects with a server of their own on this one (Socket.IO) take the upgrades that are theirs.
  const attached = (options.speaks ?? []).flatMap((dialect) => (dialect.attach ? [dialect.attach(server as HttpServer, ctx)] : []));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (attached.some((a) => a.owns(path))) return;
    socket.on('error', () => socket.destroy());
    void upgrade(req, socket, head);
  });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = requestUrl(req);
    if (!url) return refuseUpgrade(socket, 'invalid_message');
    const endpoint = endpoints.find((e) => (typeof e.path === 'string' ? e.path === url.pathname : e.path.test(url.pathname)));
    if (!endpoint) return refuseUpgrade(socket, 'not_found');
    if (ctx.shuttingDown) return refuseUpgrade(socket, 'shutting_down');
    if (peers.size >= config.limits.maxConnections) return refuseUpgrade(socket, 'too_many_connections');
    if (!originAllowed(config, req)) return refuseUpgrade(socket, 'origin_not_allowed');
    let who: Identity | undefined;
    try {
      who = await endpoint.authenticate(req, url);
    } catch (err) {
      return refuseUpgrade(socket, asSpaceportError(err).code);
    }
    const budget = who ? budgetKey(who) : null;
    const maxConnections = who?.kind === 'anonymous' ? config.budgets.anonymousConnections : config.budgets.connections;
    if (await connections.full(budget, maxConnections)) return refuseUpgrade(socket, 'quota_exceeded');
    // Counted before the handshake is answered: an instance counting this caller's next connection,
    // opened once this one was, must see it (counted after, the count could still be on its way to
    // Redis). Given back if the socket closes before ws accepts it.
    connections.opened(budget);
    const refused = () => connections.closed(budget);
    socket.once('close', refused);
    servers.get(endpoint)!.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', refused); // (a listener kept would keep this call's scope as long as the socket)
      // Without an error listener a single malformed frame from a client would crash the process.
      ws.on('error', logSocketError);
      const connection = wire(ws);
      // Watched for its whole life: its count given back when it closes, and a revoked key or a
      // sign-out closes it.
      const credential = who && who.kind !== 'anonymous' ? presentedSecretHash(req, url) : undefined;
      if (budget !== null || credential) track(connection, budget, credential);
      try {
        endpoint.accept(connection, req, url, who);
      } catch (err) {
        log.error({ err }, 'accepting a socket failed');
        untrack(connection);
        connection.close(1011, 'internal_error');
      }
    });
  }

  /**
   * Watches an accepted socket until it closes (the peer registry says when), giving back then the
   * count taken at its upgrade, with a small record each: a close listener made inside `upgrade` kept
   * that call's whole scope — the request and its headers — alive as long as the socket, 2 KB a
   * connection (measured).
   */
  const tracked = new Map<Connection, { budget: string | null; bucket: Bucket | undefined }>();
  function track(connection: Connection, budget: string | null, credentialHash: string | undefined): void {
    tracked.set(connection, { budget, bucket: credentialHash === undefined ? undefined : credentials.watch(connection, credentialHash) });
  }
  function untrack(connection: Connection): void {
    const t = tracked.get(connection);
    if (!t) return;
    tracked.delete(connection);
    connections.closed(t.budget);
    if (t.bucket) credentials.forget(connection, t.bucket);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `${config.tls ? 'https' : 'http'}://${shownHost}:${port}`;

  // Each space's activity is sampled on a timer (queue and slots read once per interval, not per job).
  const sampling = setInterval(
    () =>
      void spaceStatuses(engine)
        // Every instance (this one too) adds this instance's part to its charts.
        .then((list) =>
          core.jobs.control({
            op: 'activity',
            ...activity.close(
              Date.now(),
              list.map((s) => ({ space: s.space, queued: s.queue_length, running: s.slots - s.free_slots })),
            ),
          }),
        )
        .catch((err: unknown) => log.warn({ err }, 'sampling space activity failed')),
    config.activityIntervalMs,
  );
  sampling.unref();

  let closing: Promise<void> | undefined;
  return {
    config,
    context: ctx,
    url,
    port,
    markReady: () => {
      ctx.ready = true;
    },
    close: () =>
      (closing ??= (async () => {
        ctx.shuttingDown = true;
        clearInterval(sampling);
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const peer of peers.all()) peer.close(peer.role === 'worker' ? CLOSE.serviceRestart : CLOSE.goingAway, 'shutting down');
        server.closeAllConnections?.();
        await waitFor(() => peers.size === 0, 2000);
        for (const peer of peers.all()) peer.terminate();
        peers.stop();
        for (const wss of servers.values()) wss.close();
        for (const a of attached) await a.close();
        await stopped;
        // Let worker removals (which requeue held jobs) reach the engine before it closes.
        await new Promise((r) => setTimeout(r, 50));
        core.close();
        await engine.close();
      })()),
  };
}

/** The request's URL, or null for a target no URL can be made of ("//", "http://["). */
function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://gateway');
  } catch {
    return null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originAllowed(config: GatewayConfig, req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return config.allowedOrigins.length === 0 || origin === undefined || config.allowedOrigins.includes(origin);
}

/**
 * Lets browsers on an allowed origin call the API (the origin check above has already passed).
 * Answers a preflight itself and returns true; otherwise only adds the headers.
 */
function allowCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'origin');
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, HEAD, POST, PATCH, PUT, DELETE',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'authorization, content-type, last-event-id',
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}

function refuseUpgrade(socket: Duplex, code: ErrorCode): void {
  const status = ERRORS[code].status;
  const body = JSON.stringify({ error: { code, message: ERRORS[code].text } });
  socket.end(`HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}
