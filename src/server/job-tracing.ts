import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type SpanContext } from '@opentelemetry/api';
import type { JobEnd, JobTag } from '../core/telemetry.ts';

/**
 * Jobs as OpenTelemetry spans, through the API alone: with no SDK registered (the default) the API
 * records nothing and costs next to nothing, and the caller's trace context still passes through
 * to the worker; with one registered (docs/operations.md, "Tracing"), its exporter gets
 *   spaceport.submit  the gateway taking the job, a child of the caller's span — the parent the worker's spans get
 *   spaceport.job     the job's life from submit to its final state, on the instance that ended it
 */
const tracer = trace.getTracer('spaceport');

function contextOf(traceparent: string): Context {
  const [, traceId, spanId, flags] = traceparent.split('-') as [string, string, string, string];
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true });
}

function traceparentOf(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

const attributesOf = (job: JobTag) => ({ 'spaceport.job.id': job.job, 'spaceport.space': job.space, ...(job.worker && { 'spaceport.worker': job.worker }) });

/** The submit's span; returns the traceparent the job carries to its worker (see Telemetry.traceSubmit). */
export function traceSubmit(job: JobTag, parent: string | undefined): string | undefined {
  const span = tracer.startSpan('spaceport.submit', { kind: SpanKind.SERVER, attributes: attributesOf(job) }, parent ? contextOf(parent) : ROOT_CONTEXT);
  const context = span.spanContext();
  span.end();
  return trace.isSpanContextValid(context) ? traceparentOf(context) : parent;
}

/** The span of a job's whole life, made when it ends (a job may start on one instance and end on another). */
export function traceJobEnd(end: JobEnd): void {
  if (!end.traceparent) return;
  const span = tracer.startSpan(
    'spaceport.job',
    { kind: SpanKind.INTERNAL, startTime: end.createdAt, attributes: { ...attributesOf(end), 'spaceport.job.state': end.state, 'spaceport.job.attempt': end.attempt } },
    contextOf(end.traceparent),
  );
  if (!span.isRecording()) return;
  if (end.startedAt !== undefined) span.addEvent('started', end.startedAt);
  if (end.state === 'failed' || end.state === 'timed_out') span.setStatus({ code: SpanStatusCode.ERROR, message: end.code ?? end.state });
  span.end(end.endedAt);
}
