import type { Dialect } from '../server/dialect.ts';
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
 * translation onto the same core, in the order their endpoints are matched: exact paths before
 * the /ws/{client_id} pattern of the frames dialect. The CLI hands this list to the gateway.
 */
export const DIALECTS: readonly Dialect[] = [
  { name: 'websocket-spaces', endpoints: (ctx) => [websocketSpacesEndpoint(ctx)] },
  { name: 'token-stream', endpoints: (ctx) => [tokenStreamEndpoint(ctx)] },
  { name: 'lip-sync', endpoints: (ctx) => [lipSyncEndpoint(ctx)], routes: lipSyncRoutes },
  { name: 'reconstruct', endpoints: (ctx) => [reconstructEndpoint(ctx)], routes: reconstructRoutes },
  { name: 'frames', endpoints: (ctx) => [framesEndpoint(ctx)], routes: framesRoutes },
];
