import type { WsEndpoint } from '../server/gateway.ts';
import type { Router } from '../server/http-router.ts';
import type { ServerContext } from '../server/server-context.ts';
import { framesEndpoint } from './frames/endpoint.ts';
import { framesRoutes } from './frames/routes.ts';
import { lipSyncEndpoint } from './lip-sync/endpoint.ts';
import { lipSyncRoutes } from './lip-sync/routes.ts';
import { reconstructEndpoint } from './reconstruct/endpoint.ts';
import { reconstructRoutes } from './reconstruct/routes.ts';
import { tokenStreamEndpoint } from './token-stream/endpoint.ts';
import { websocketSpacesEndpoint } from './websocket-spaces/endpoint.ts';

/**
 * The documented APIs Spaceport also speaks (shared/seeds, docs/dialects.md), each a thin
 * translation onto the same core. Their WebSocket endpoints, in addition to /v1/ws and /v1/worker.
 */
/** Their HTTP routes (pages, REST). */
export function dialectRoutes(router: Router, ctx: ServerContext): void {
  framesRoutes(router, ctx);
  lipSyncRoutes(router, ctx);
  reconstructRoutes(router, ctx);
}

export function dialectEndpoints(ctx: ServerContext): WsEndpoint[] {
  // Exact paths before the /ws/{client_id} pattern of the frames dialect.
  return [websocketSpacesEndpoint(ctx), tokenStreamEndpoint(ctx), lipSyncEndpoint(ctx), reconstructEndpoint(ctx), framesEndpoint(ctx)];
}
