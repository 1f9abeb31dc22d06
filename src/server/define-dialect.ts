import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import type { Identity } from '../core/types.ts';
import { decodeMessage } from '../protocol/decode.ts';
import type { SpaceportError } from '../protocol/errors.ts';
import type { JobEventMessage, PositionMessage } from '../protocol/server-messages.ts';
import type { Connection } from '../wire/connection.ts';
import type { Dialect, WsEndpoint } from './dialect.ts';
import type { Router } from './http-router.ts';
import { JobFollower } from './job-follower.ts';
import type { ServerContext } from './server-context.ts';
import { Attachments } from './ws/attachments.ts';
import { handleInbound, NO_UPLOAD } from './ws/inbound.ts';
import { Peer } from './ws/peer.ts';

/** One connection of a dialect, as its handlers see it. */
export interface DialectSocket<Reply> {
  readonly ctx: ServerContext;
  /** Who connected (undefined on a worker dialect: a worker says who it is when it registers). */
  readonly who: Identity | undefined;
  readonly url: URL;
  /** Sends one of the dialect's own messages. */
  reply(message: Reply): void;
  /**
   * The jobs this connection follows: `submit` (and follow), `follow`, `watchSpace`, `watchAll`.
   * Their events come to the handlers' `event`, typed, once each and in seq order.
   */
  readonly jobs: JobFollower;
  /** The connection with its edge rules (bounded queue, rate limit): for what `reply` does not cover. */
  readonly peer: Peer;
  readonly connection: Connection;
  /** Runs `task` once every message received so far has been handled. */
  afterPending(task: () => Promise<void>): Promise<void>;
}

/** What a dialect does with one connection. */
export interface DialectHandlers<In> {
  /**
   * Each message, decoded against the dialect's schema, strictly in arrival order — except those
   * `pipelines` names, where the engine is remote: `issued` is then given, for the message's submit
   * (`socket.jobs.submit(…, issued)`), and the next such message starts once it is called.
   */
  message(msg: In, issued?: () => void): Promise<void> | void;
  /** The messages that only submit a job: a client's burst of them is pipelined to a remote engine (ws/inbound.ts `pipelines`). */
  pipelines?(msg: In): boolean;
  /** Each event of a job the connection follows. */
  event?(jobId: string, event: JobEventMessage | PositionMessage): void;
  /** A hot path, optional: sees each event's line before it is parsed; true when it handled it. */
  line?(jobId: string, line: string): boolean;
  /** How the dialect tells a message's error (default: `{type:"error", code, message, id}`). */
  error?(error: SpaceportError, id: string | number | undefined): void;
  /** The connection closed. */
  closed?(code: number): void;
}

export interface DialectSpec<In extends { type: string }, Reply extends object> {
  /** The dialect's name: in the list of dialects, and (unless `label`) on its metrics. */
  name: string;
  /** The label of its connections in metrics. @default name */
  label?: string;
  path: string | RegExp;
  /** Its largest message. */
  maxPayload(ctx: ServerContext): number;
  /** A client dialect's callers follow jobs; a worker dialect's connections serve them. @default 'client' */
  role?: 'client' | 'worker';
  /** Who is connecting, before the upgrade completes (throw to refuse). @default a browser's or a script's credentials */
  authenticate?(ctx: ServerContext, req: IncomingMessage, url: URL): Promise<Identity | undefined>;
  /** What its clients send: a zod discriminated union on `type`. */
  messages: z.ZodDiscriminatedUnion<z.ZodObject<{ type: z.ZodLiteral<string> }>[], 'type'> & z.ZodType<In>;
  /** The field a message's error is correlated by. @default 'id' */
  idField?: string;
  /** HTTP routes of the dialect, if it has any. */
  routes?(router: Router, ctx: ServerContext): void;
  /** A connection opened: its handlers. */
  open(socket: DialectSocket<Reply>): DialectHandlers<In>;
}

/**
 * A documented protocol of another product, in the few lines that make it itself: its path, its
 * messages and what each does, what it says for each job event. Everything every dialect needs —
 * the connection's edge rules, decoding with documented errors, handling in order, following jobs
 * with replay stitched to live, dropping it all on close — is done here once.
 */
export interface DefinedDialect extends Dialect {
  /** Opens the dialect on a connection accepted elsewhere (another transport of the same protocol). */
  accept(ctx: ServerContext, connection: Connection, url: URL, who: Identity | undefined): void;
}

export function defineDialect<In extends { type: string }, Reply extends object>(spec: DialectSpec<In, Reply>): DefinedDialect {
  const types: ReadonlySet<string> = new Set(spec.messages.options.map((o) => o.shape.type.value));
  const endpoint = (ctx: ServerContext): WsEndpoint => ({
    path: spec.path,
    maxPayload: spec.maxPayload(ctx),
    authenticate: (req, url) => (spec.authenticate ? spec.authenticate(ctx, req, url) : ctx.auth.identifyBrowser(req, url, ctx.config.allowedOrigins, true)),
    accept: (connection, _req, url, who) => open(ctx, spec, types, connection, url, who),
  });
  return {
    name: spec.name,
    endpoints: (ctx) => [endpoint(ctx)],
    ...(spec.routes && { routes: spec.routes }),
    accept: (ctx, connection, url, who) => open(ctx, spec, types, connection, url, who),
  };
}

function open<In extends { type: string }, Reply extends object>(
  ctx: ServerContext,
  spec: DialectSpec<In, Reply>,
  types: ReadonlySet<string>,
  connection: Connection,
  url: URL,
  who: Identity | undefined,
): void {
  const role = spec.role ?? 'client';
  const peer = new Peer(connection, spec.label ?? spec.name, role, ctx.config.limits, ctx.metrics);
  ctx.peers.add(peer);
  let handlers: DialectHandlers<In> | undefined;
  let jobs: JobFollower | undefined;
  let inbound: ReturnType<typeof handleInbound> | undefined;
  const socket: DialectSocket<Reply> = {
    ctx,
    who,
    url,
    peer,
    connection,
    reply: (message) => peer.sendJson(message),
    get jobs() {
      if (!who) throw new Error(`${spec.name}: a worker dialect follows no jobs`);
      return (jobs ??= new JobFollower(ctx, who, {
        room: () => peer.room(),
        onLine: (jobId, line) => {
          if (handlers?.line?.(jobId, line)) return;
          handlers?.event?.(jobId, JSON.parse(line) as JobEventMessage | PositionMessage);
        },
      }));
    },
    afterPending: (task) => inbound!.afterPending(task),
  };
  handlers = spec.open(socket);
  const h = handlers;
  inbound = handleInbound(ctx, peer, new Attachments(1000, 0), {
    decode: (text) => decodeMessage(text, spec.messages, types, spec.idField),
    expectUploads: () => NO_UPLOAD,
    ...(h.error && { reportError: (e: SpaceportError, id: string | number | undefined) => h.error!(e, id) }),
    handle: async (msg, _upload, issued) => h.message(msg, issued),
    pipelines: (msg) => h.pipelines?.(msg) === true,
  });
  connection.onClose((code) => {
    h.closed?.(code);
    jobs?.close();
  });
}
