import type { WsEndpoint } from '../server/gateway.ts';
import type { ServerContext } from '../server/server-context.ts';
import { websocketSpacesEndpoint } from './websocket-spaces/endpoint.ts';

/**
 * The documented APIs Spaceport also speaks (shared/seeds, docs/dialects.md), each a thin
 * translation onto the same core. Their WebSocket endpoints, in addition to /v1/ws and /v1/worker.
 */
export function dialectEndpoints(ctx: ServerContext): WsEndpoint[] {
  return [websocketSpacesEndpoint(ctx)];
}
