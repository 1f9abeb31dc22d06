import { WebSocket } from 'ws';
import type { Transport, WebSocketLike } from './client/transport.ts';

// The client SDK for Node (`spaceport/client` there); browsers get browser.ts.

/** The client SDK's transport for Node: the `ws` package, with the token as a bearer header. */
export const nodeTransport: Transport = (url, token) => new WebSocket(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, perMessageDeflate: false }) as unknown as WebSocketLike;

export { SpaceportClient, type ClientOptions, type ConnectionState } from './client/spaceport-client.ts';
export { JobHandle } from './client/job-handle.ts';
export * from './client/types.ts';
