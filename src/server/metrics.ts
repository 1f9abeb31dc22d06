import client from 'prom-client';
import type { Telemetry } from '../core/telemetry.ts';
import type { JobState } from '../core/types.ts';
import type { Logger } from './logger.ts';

/** Prometheus metrics of one gateway process, on a registry of its own (several gateways can share a process in tests). */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
  return {
    registry,
    connections: new client.Gauge({ name: 'spaceport_connections', help: 'Open WebSocket connections', labelNames: ['endpoint'], registers: [registry] }),
    messagesIn: new client.Counter({ name: 'spaceport_messages_received_total', help: 'WebSocket messages received', labelNames: ['endpoint'], registers: [registry] }),
    messagesOut: new client.Counter({ name: 'spaceport_messages_sent_total', help: 'WebSocket messages sent', labelNames: ['endpoint'], registers: [registry] }),
    jobsEnded: new client.Counter({ name: 'spaceport_jobs_ended_total', help: 'Jobs that reached a final state', labelNames: ['space', 'state'], registers: [registry] }),
    jobsByState: new client.Gauge({ name: 'spaceport_jobs', help: 'Jobs currently kept, by state', labelNames: ['state'], registers: [registry] }),
    queueWait: new client.Histogram({ name: 'spaceport_queue_wait_seconds', help: 'Submit to start', labelNames: ['space'], buckets: seconds, registers: [registry] }),
    jobDuration: new client.Histogram({ name: 'spaceport_job_duration_seconds', help: 'Start to final state', labelNames: ['space', 'state'], buckets: seconds, registers: [registry] }),
    firstToken: new client.Histogram({ name: 'spaceport_time_to_first_token_seconds', help: 'Submit to first token', labelNames: ['space'], buckets: seconds, registers: [registry] }),
    errors: new client.Counter({ name: 'spaceport_errors_total', help: 'Errors reported to clients and workers, by code', labelNames: ['code'], registers: [registry] }),
    // The names the token-streaming service documents (shared/seeds/001), over every WebSocket endpoint.
    wsConnections: new client.Gauge({ name: 'websocket_connections_total', help: 'Active WebSocket connections (all endpoints)', registers: [registry] }),
    wsMessagesSent: new client.Counter({ name: 'websocket_messages_sent_total', help: 'WebSocket messages sent (all endpoints)', registers: [registry] }),
    wsMessagesReceived: new client.Counter({ name: 'websocket_messages_received_total', help: 'WebSocket messages received (all endpoints)', registers: [registry] }),
    wsQueryDuration: new client.Histogram({ name: 'websocket_query_duration_seconds', help: 'Query on /ws, from query to end', buckets: seconds, registers: [registry] }),
    wsErrors: new client.Counter({ name: 'websocket_errors_total', help: 'Errors sent on WebSocket endpoints, by type (our error code)', labelNames: ['type'], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export function metricsTelemetry(metrics: Metrics, log: Logger): Telemetry {
  return {
    jobStarted: (space, ms) => metrics.queueWait.observe({ space }, ms / 1000),
    firstToken: (space, ms) => metrics.firstToken.observe({ space }, ms / 1000),
    jobEnded: (space: string, state: JobState, runMs: number | null) => {
      metrics.jobsEnded.inc({ space, state });
      if (runMs !== null) metrics.jobDuration.observe({ space, state }, runMs / 1000);
    },
    backgroundError: (err, stage) => log.error({ err, stage }, 'background task failed'),
  };
}
