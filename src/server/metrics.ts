import client from 'prom-client';
import type { Telemetry } from '../core/telemetry.ts';
import { CountingHistogram } from './counting-histogram.ts';
import type { JobState } from '../core/types.ts';
import type { Logger } from './logger.ts';

/**
 * Messages in and out by endpoint, as plain numbers the counters read when scraped: two of these
 * per relayed token, where a prom-client `inc` with labels each was a measurable share of the CPU.
 */
class MessageCounts {
  readonly in = new Map<string, number>();
  readonly out = new Map<string, number>();

  countIn(endpoint: string): void {
    this.in.set(endpoint, (this.in.get(endpoint) ?? 0) + 1);
  }

  countOut(endpoint: string): void {
    this.out.set(endpoint, (this.out.get(endpoint) ?? 0) + 1);
  }
}

/** A counter whose values are read from `counts` at scrape time, by endpoint or (`total`) summed. */
function countedCounter(registry: client.Registry, name: string, help: string, counts: Map<string, number>, total = false): client.Counter {
  return new client.Counter({
    name,
    help,
    labelNames: total ? [] : ['endpoint'],
    registers: [registry],
    collect() {
      this.reset();
      if (total) this.inc([...counts.values()].reduce((a, b) => a + b, 0));
      else for (const [endpoint, n] of counts) this.inc({ endpoint }, n);
    },
  });
}

/** Jobs ended by space and state, counted in a Map and read by the counter when scraped (as MessageCounts). */
function endedCounter(registry: client.Registry): { add(space: string, state: JobState): void } {
  const ended = new Map<string, { space: string; state: JobState; n: number }>();
  new client.Counter({
    name: 'spaceport_jobs_ended_total',
    help: 'Jobs that reached a final state',
    labelNames: ['space', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { space, state, n } of ended.values()) this.inc({ space, state }, n);
    },
  });
  return {
    add(space, state) {
      const key = `${space}\u0000${state}`;
      const counted = ended.get(key);
      if (counted) counted.n += 1;
      else ended.set(key, { space, state, n: 1 });
    },
  };
}

/** Prometheus metrics of one gateway process, on a registry of its own (several gateways can share a process in tests). */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
  const messages = new MessageCounts();
  countedCounter(registry, 'spaceport_messages_received_total', 'WebSocket messages received', messages.in);
  countedCounter(registry, 'spaceport_messages_sent_total', 'WebSocket messages sent', messages.out);
  // The names the token-streaming service documents (shared/seeds/001), over every WebSocket endpoint.
  countedCounter(registry, 'websocket_messages_sent_total', 'WebSocket messages sent (all endpoints)', messages.out, true);
  countedCounter(registry, 'websocket_messages_received_total', 'WebSocket messages received (all endpoints)', messages.in, true);
  return {
    registry,
    messages,
    connections: new client.Gauge({ name: 'spaceport_connections', help: 'Open WebSocket connections', labelNames: ['endpoint'], registers: [registry] }),
    jobsEnded: endedCounter(registry),
    jobsByState: new client.Gauge({ name: 'spaceport_jobs', help: 'Jobs currently kept, by state', labelNames: ['state'], registers: [registry] }),
    queueWait: new CountingHistogram(registry, 'spaceport_queue_wait_seconds', 'Submit to start', ['space'], seconds),
    jobDuration: new CountingHistogram(registry, 'spaceport_job_duration_seconds', 'Start to final state', ['space', 'state'], seconds),
    firstToken: new CountingHistogram(registry, 'spaceport_time_to_first_token_seconds', 'Submit to first token', ['space'], seconds),
    errors: new client.Counter({ name: 'spaceport_errors_total', help: 'Errors reported to clients and workers, by code', labelNames: ['code'], registers: [registry] }),
    // The names the token-streaming service documents (shared/seeds/001), over every WebSocket endpoint.
    wsConnections: new client.Gauge({ name: 'websocket_connections_total', help: 'Active WebSocket connections (all endpoints)', registers: [registry] }),
    wsQueryDuration: new CountingHistogram(registry, 'websocket_query_duration_seconds', 'Query on /ws, from query to end', [], seconds),
    wsErrors: new client.Counter({ name: 'websocket_errors_total', help: 'Errors sent on WebSocket endpoints, by type (our error code)', labelNames: ['type'], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export function metricsTelemetry(metrics: Metrics, log: Logger): Telemetry {
  return {
    jobStarted: (space, ms) => metrics.queueWait.observe(ms / 1000, space),
    firstToken: (space, ms) => metrics.firstToken.observe(ms / 1000, space),
    jobEnded: (space: string, state: JobState, runMs: number | null) => {
      metrics.jobsEnded.add(space, state);
      if (runMs !== null) metrics.jobDuration.observe(runMs / 1000, space, state);
    },
    backgroundError: (err, stage) => log.error({ err, stage }, 'background task failed'),
  };
}
