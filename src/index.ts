import { DIALECTS } from './dialects/dialects.ts';
import type { GatewayOptions } from './server/config.ts';
import { startGateway as startWith, type Gateway } from './server/gateway.ts';

/**
 * The package's main entry (`import { startGateway } from 'spaceport'`): a gateway in code, with
 * the embedded store in `dataDir` (or Redis with `redis: { url }`), serving the documented dialects
 * too unless `speaks` says otherwise. `spaceport serve` is this plus flags, demo spaces and workers.
 */
export function startGateway(options: Parameters<typeof startWith>[0]): Promise<Gateway> {
  return startWith({ speaks: DIALECTS, ...options });
}

export type { Gateway, GatewayOptions };
export type { GatewayConfig, Limits } from './server/config.ts';
