import type { IncomingMessage, Server } from 'node:http';
import type { Identity } from '../core/types.ts';
import type { Connection } from '../wire/connection.ts';
import type { Router } from './http-router.ts';
import type { ServerContext } from './server-context.ts';

/** A WebSocket endpoint: the path it lives at and what it does with an accepted connection (src/wire/). */
export interface WsEndpoint {
  path: string | RegExp;
  maxPayload: number;
  /** Resolve who is connecting before the upgrade completes (throw to refuse with that code). */
  authenticate(req: IncomingMessage, url: URL): Promise<Identity | undefined>;
  accept(connection: Connection, req: IncomingMessage, url: URL, who: Identity | undefined): void;
}

/**
 * A documented protocol of another product served on the same core (src/dialects/, one folder
 * each): its HTTP routes and its WebSocket endpoints, added beside the native ones. The gateway
 * knows dialects only through this: the CLI hands it the list, so a new dialect is new files and
 * one line where the list is made.
 */
export interface Dialect {
  name: string;
  routes?(router: Router, ctx: ServerContext): void;
  /** Matched in the order of the dialects list, after the native endpoints: exact paths before patterns. */
  endpoints?(ctx: ServerContext): WsEndpoint[];
  /**
   * For a protocol with a server of its own on the gateway's HTTP server (Socket.IO): attached once
   * the server exists. The gateway leaves the upgrades it `owns` to it, and closes it at shutdown.
   */
  attach?(server: Server, ctx: ServerContext): Attached;
}

export interface Attached {
  /** The upgrade requests (by path) that are its own, not the gateway's WebSocket endpoints'. */
  owns(pathname: string): boolean;
  close(): Promise<void>;
}
