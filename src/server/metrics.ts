import client from 'prom-client';
import type { JobTag, Telemetry } from '../core/telemetry.ts';
import { traceJobEnd, traceSubmit } from './job-tracing.ts';
import { CountingHistogram } from './counting-histogram.ts';
import type { SpaceActivity } from './space-activity.ts';
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

type Labels = Record<string, string>;

/** A counter whose values are read at scrape time (`read`: each label set and its count). */
function countedCounter(registry: client.Registry, name: string, help: string, labelNames: string[], read: () => Iterable<[Labels, number]>): client.Counter {
  return new client.Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, n] of read()) this.inc(labels, n);
    },
  });
}

const byEndpoint = (counts: Map<string, number>) => () => [...counts].map(([endpoint, n]): [Labels, number] => [{ endpoint }, n]);
const summed = (counts: Map<string, number>) => (): Array<[Labels, number]> => [[{}, [...counts.values()].reduce((a, b) => a + b, 0)]];

/** Jobs ended, by space and state, as plain numbers their counter reads when scraped (as MessageCounts). */
class EndedCounts {
  private readonly ended = new Map<string, { labels: { space: string; state: JobState }; n: number }>();

  add(space: string, state: JobState): void {
    const key = `${space}\u0000${state}`;
    const counted = this.ended.get(key);
    if (counted) counted.n += 1;
    else this.ended.set(key, { labels: { space, state }, n: 1 });
  }

  series(): Array<[Labels, number]> {
    return [...this.ended.values()].map(({ labels, n }) => [labels, n]);
  }
}

/** Prometheus metrics of one gateway process, on a registry of its own (several gateways can share a process in tests). */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
  const messages = new MessageCounts();
  const jobsEnded = new EndedCounts();
  countedCounter(registry, 'spaceport_messages_received_total', 'WebSocket messages received', ['endpoint'], byEndpoint(messages.in));
  countedCounter(registry, 'spaceport_messages_sent_total', 'WebSocket messages sent', ['endpoint'], byEndpoint(messages.out));
  countedCounter(registry, 'spaceport_jobs_ended_total', 'Jobs that reached a final state', ['space', 'state'], () => jobsEnded.series());
  // The names the token-streaming service documents (shared/seeds/001), over every WebSocket endpoint.
  countedCounter(registry, 'websocket_messages_sent_total', 'WebSocket messages sent (all endpoints)', [], summed(messages.out));
  countedCounter(registry, 'websocket_messages_received_total', 'WebSocket messages received (all endpoints)', [], summed(messages.in));
  return {
    registry,
    messages,
    connections: new client.Gauge({ name: 'spaceport_connections', help: 'Open WebSocket connections', labelNames: ['endpoint'], registers: [registry] }),
    jobsEnded,
    jobsByState: new client.Gauge({ name: 'spaceport_jobs', help: 'Jobs currently kept, by state', labelNames: ['state'], registers: [registry] }),
    // Per space, read at each scrape (what an autoscaler such as KEDA or an HPA scales workers on).
    spaceQueue: new client.Gauge({ name: 'spaceport_space_queue_length', help: 'Jobs waiting in the space’s queue', labelNames: ['space'], registers: [registry] }),
    spaceRunning: new client.Gauge({
      name: 'spaceport_space_running_jobs',
      help: 'Slots in use on the space’s workers (a worker serving several spaces counts in each)',
      labelNames: ['space'],
      registers: [registry],
    }),
    spaceWorkers: new client.Gauge({ name: 'spaceport_space_workers', help: 'Workers connected to the space (every instance)', labelNames: ['space'], registers: [registry] }),
    spaceSlots: new client.Gauge({ name: 'spaceport_space_slots', help: 'Slots of the space’s workers, draining ones left out', labelNames: ['space'], registers: [registry] }),
    spaceFreeSlots: new client.Gauge({ name: 'spaceport_space_free_slots', help: 'Of those slots, the free ones', labelNames: ['space'], registers: [registry] }),
    queueWait: new CountingHistogram(registry, 'spaceport_queue_wait_seconds', 'Submit to start', ['space'], seconds),
    jobDuration: new CountingHistogram(registry, 'spaceport_job_duration_seconds', 'Start to final state', ['space', 'state'], seconds),
    firstToken: new CountingHistogram(registry, 'spaceport_time_to_first_token_seconds', 'Submit to first token', ['space'], seconds),
    errors: new client.Counter({
      name: 'spaceport_errors_total',
      help: 'Errors reported to clients and workers, by code',
      labelNames: ['code'],
      registers: [registry],
    }),
    // The names the token-streaming service documents (shared/seeds/001), over every WebSocket endpoint.
    wsConnections: new client.Gauge({ name: 'websocket_connections_total', help: 'Active WebSocket connections (all endpoints)', registers: [registry] }),
    wsQueryDuration: new CountingHistogram(registry, 'websocket_query_duration_seconds', 'Query on /ws, from query to end', [], seconds),
    wsErrors: new client.Counter({
      name: 'websocket_errors_total',
      help: 'Errors sent on WebSocket endpoints, by type (our error code)',
      labelNames: ['type'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The fields every log line about a job carries. */
const jobFields = (job: JobTag) => ({ job_id: job.job, space: job.space, ...(job.worker && { worker: job.worker }) });

/** Core's telemetry as metrics, one log line per job event (an `info` line when it ends), and spans. */
export function metricsTelemetry(metrics: Metrics, log: Logger, activity?: SpaceActivity): Telemetry {
  return {
    traceSubmit,
    jobSubmitted: (job) => log.isLevelEnabled('debug') && log.debug(jobFields(job), 'job submitted'),
    jobStarted: (job, ms) => {
      metrics.queueWait.observe(ms / 1000, job.space);
      if (log.isLevelEnabled('debug')) log.debug({ ...jobFields(job), wait_ms: ms }, 'job started');
    },
    firstToken: (space, ms) => metrics.firstToken.observe(ms / 1000, space),
    jobProgress: () => {},
    jobRequeued: (job, reason) => log.warn({ ...jobFields(job), reason }, 'job requeued'),
    jobEnded: (end) => {
      const runMs = end.startedAt === undefined ? null : end.endedAt - end.startedAt;
      metrics.jobsEnded.add(end.space, end.state);
      activity?.ended(end);
      if (runMs !== null) metrics.jobDuration.observe(runMs / 1000, end.space, end.state);
      if (log.isLevelEnabled('info')) {
        const waitMs = (end.startedAt ?? end.endedAt) - end.createdAt;
        log.info({ ...jobFields(end), state: end.state, attempt: end.attempt, wait_ms: waitMs, run_ms: runMs, ...(end.code && { code: end.code }) }, 'job ended');
      }
      traceJobEnd(end);
    },
    backgroundError: (err, stage) => log.error({ err, stage }, 'background task failed'),
  };
}
