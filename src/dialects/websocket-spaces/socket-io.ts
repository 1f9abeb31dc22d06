import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Attached } from '../../server/dialect.ts';
import type { DefinedDialect } from '../../server/define-dialect.ts';
import type { ServerContext } from '../../server/server-context.ts';
import { SocketIoConnection } from './socket-io-connection.ts';

/** Where Socket.IO clients connect by default: the document's remote app connects to the site's host. */
export const SOCKET_IO_PATH = '/socket.io/';

/**
 * The WebSocket Spaces document's remote apps are Socket.IO programs (python-socketio): this puts a
 * Socket.IO server (Engine.IO v4, WebSocket and long-polling) on the gateway's HTTP server at the
 * standard path, and opens the WebSocket Spaces dialect on each of its clients, exactly as on the
 * plain WebSocket at /websocket-spaces. A token may come in the handshake's `auth` or the query.
 */
export function attachSocketIo(server: HttpServer, ctx: ServerContext, dialect: DefinedDialect): Attached {
  const { limits } = ctx.config;
  const io = new Server(server, {
    path: SOCKET_IO_PATH,
    serveClient: false,
    // Other upgrades are the gateway's: Engine.IO must not end the ones it does not handle.
    destroyUpgrade: false,
    maxHttpBufferSize: limits.workerMaxMessageBytes,
    // Its heartbeat is the connection's liveness (the gateway's ping sweep counts its pongs).
    pingInterval: Math.max(100, Math.floor(limits.pingIntervalMs / 2)),
    pingTimeout: Math.max(100, Math.floor(limits.pingIntervalMs / 2)),
    // The same door as every other connection: refused while shutting down or when full.
    allowRequest: (_req, callback) => callback(null, !ctx.shuttingDown && ctx.peers.size < limits.maxConnections),
  });
  io.on('connection', (socket) => {
    const url = new URL(socket.handshake.url, 'http://gateway');
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string') url.searchParams.set('token', token);
    dialect.accept(ctx, new SocketIoConnection(socket), url, undefined);
  });
  return {
    owns: (pathname) => pathname.startsWith(SOCKET_IO_PATH),
    close: async () => {
      io.disconnectSockets(true);
      io.engine.close();
    },
  };
}
