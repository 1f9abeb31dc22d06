import type { GatewayCore } from '../core/gateway-core.ts';
import type { Engine } from '../core/engine-port.ts';
import type { Authenticator } from './auth.ts';
import type { CredentialWatch } from './credential-watch.ts';
import type { GatewayConfig } from './config.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { SpaceActivity } from './space-activity.ts';
import type { InFlightBytes } from './upload-intake.ts';
import type { PeerRegistry } from './ws/peer-registry.ts';
import type { WebhookDestinations } from './webhook-destinations.ts';

/** What every route and endpoint of one gateway shares. */
export interface ServerContext {
  config: GatewayConfig;
  /** Where webhooks may go (checked when an admin sets one, and before each delivery). */
  destinations: WebhookDestinations;
  core: GatewayCore;
  engine: Engine;
  auth: Authenticator;
  metrics: Metrics;
  /** Each space's recent activity, for the admin's charts (space-activity.ts). */
  activity: SpaceActivity;
  log: Logger;
  peers: PeerRegistry;
  /** Bytes of large request bodies being received at once (upload-intake.ts). */
  bodiesInFlight: InFlightBytes;
  /** The sockets opened with credentials, closed when those are revoked. */
  credentials: CredentialWatch;
  startedAt: number;
  /** False until the program that started the gateway says it is ready (its demo spaces exist): /health answers 503 `starting`. */
  ready: boolean;
  shuttingDown: boolean;
}
