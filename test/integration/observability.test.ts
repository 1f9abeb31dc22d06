import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { runTs, type Proc } from '../helpers/processes.ts';
import { sdkWorker } from '../helpers/sdk.ts';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const CALLER = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;

describe('job log lines (a real `spaceport serve`, LOG_LEVEL=debug)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spaceport-logs-'));
  const procs: Proc[] = [];
  let serve: Proc;
  let url: string;
  afterAll(async () => {
    for (const p of procs) await p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const lines = () =>
    serve
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{"level"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const about = (job: string) => lines().filter((l) => l.job_id === job);

  beforeAll(async () => {
    serve = runTs('src/cli/main.ts', ['serve', '--port', '0', '--host', '127.0.0.1', '--no-demo', '--data', dir], {
      LOG_LEVEL: 'debug',
      SPACEPORT_ADMIN_TOKEN: ADMIN_TOKEN,
      SPACEPORT_REATTACH_GRACE_MS: '100',
    });
    procs.push(serve);
    url = JSON.parse(await serve.waitFor(/\{"event":"listening"[^\n]*\}/)).url;
    const created = await fetch(`${url}/v1/admin/spaces`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ name: 'logged', inputs: ['prompt'] }) });
    expect(created.status).toBe(201);
  });

  const submit = async (prompt: string) => ((await (await fetch(`${url}/v1/jobs`, { method: 'POST', body: JSON.stringify({ space: 'logged', prompt }) })).json()) as { job: string }).job;

  it('names the job, its space and its worker on every line of its life; the end is an info line with wait, run and state', async () => {
    const worker = await sdkWorker(url, 'logged', ADMIN_TOKEN);
    procs.push(worker);
    const workerId = JSON.parse(worker.output().match(/\{"type":"registered"[^\n]*\}/)![0]).worker as string;
    const done = await submit('count 2 5');
    const failed = await submit('fail');
    await until('both jobs’ end lines', () => about(done).some((l) => l.msg === 'job ended') && about(failed).some((l) => l.msg === 'job ended'));
    await worker.kill('SIGKILL'); // the next test's job is for its own worker

    expect(about(done).map((l) => l.msg)).toEqual(['job submitted', 'job started', 'job ended']);
    for (const line of about(done)) expect(line.space).toBe('logged');
    for (const line of about(done).slice(1)) expect(line.worker).toBe(workerId);
    const ended = about(done).at(-1)!;
    expect(ended).toMatchObject({ level: 30, state: 'completed', attempt: 1, worker: workerId });
    expect(ended.wait_ms).toBeGreaterThanOrEqual(0);
    expect(ended.run_ms).toEqual(expect.any(Number));
    expect(about(failed).at(-1)).toMatchObject({ msg: 'job ended', state: 'failed', code: 'worker_error', worker: workerId });
  });

  it('says when a job goes back to the queue because its worker was lost, as a warning naming both', async () => {
    const worker = await sdkWorker(url, 'logged', ADMIN_TOKEN);
    procs.push(worker);
    const workerId = JSON.parse(worker.output().match(/\{"type":"registered"[^\n]*\}/)![0]).worker as string;
    const job = await submit('hang');
    await until('the job to start', () => about(job).some((l) => l.msg === 'job started'));
    await worker.kill('SIGKILL');
    const requeued = await until('the requeue line', () => about(job).find((l) => l.msg === 'job requeued'));
    expect(requeued).toMatchObject({ level: 40, space: 'logged', worker: workerId, reason: 'worker disconnected' });
    const cancel = await fetch(`${url}/v1/jobs/${job}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(cancel.status).toBe(200);
    expect(await until('the end line', () => about(job).find((l) => l.msg === 'job ended'))).toMatchObject({ state: 'cancelled', attempt: 1 });
  });
});

describe('W3C trace context through the job (in-process gateway)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await testGateway();
    await gw.createSpace({ name: 'traced', inputs: ['prompt'] });
  });
  afterAll(async () => {
    trace.disable();
    await gw.stop();
  });

  /** Submits over HTTP with these headers and returns what the worker was given. */
  async function jobAtWorker(headers: Record<string, string>) {
    const worker = await gw.worker(['traced']);
    const accepted = await gw.http('POST', '/v1/jobs', { space: 'traced', prompt: 'p' }, headers);
    expect(accepted.status).toBe(202);
    const job = await worker.next('job', (m) => m.type === 'job' && m.job === accepted.body.job);
    return { worker, job };
  }

  it('with no tracing SDK registered, the caller’s traceparent reaches the worker as it came', async () => {
    const { worker, job } = await jobAtWorker({ traceparent: CALLER });
    expect(job.traceparent).toBe(CALLER);
    worker.close();
  });

  it('a malformed traceparent header is ignored (the job is taken, untraced); a malformed field over WebSocket is refused', async () => {
    const { worker, job } = await jobAtWorker({ traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01` });
    expect(job.traceparent).toBeUndefined();
    worker.close();
    const client = await gw.client();
    client.send({ type: 'submit', id: 'bad', space: 'traced', prompt: 'p', traceparent: 'not-a-trace' });
    expect(await client.wait('error', (m) => m.type === 'error' && m.id === 'bad')).toMatchObject({ code: 'invalid_message' });
    client.close();
  });

  it('with an SDK registered: a submit span in the caller’s trace is the worker’s parent, and the job’s life is a span under it', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

    const worker = await gw.worker(['traced']);
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', id: 's1', space: 'traced', prompt: 'p', traceparent: CALLER });
    const { job: jobId } = await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 's1');
    const job = await worker.next('job', (m) => m.type === 'job' && m.job === jobId);
    const [, traceId, parentSpan] = (job.traceparent as string).split('-');
    expect(traceId).toBe(CALLER_TRACE);
    expect(parentSpan).not.toBe(CALLER_SPAN);

    const submitSpan = exporter.getFinishedSpans().find((s) => s.name === 'spaceport.submit' && s.attributes['spaceport.job.id'] === jobId)!;
    expect(submitSpan.spanContext().spanId).toBe(parentSpan);
    expect(submitSpan.parentSpanContext?.spanId).toBe(CALLER_SPAN);

    worker.send({ type: 'started', job: jobId });
    worker.send({ type: 'result', job: jobId, data: { ok: true } });
    const life = await until('the job span', () => exporter.getFinishedSpans().find((s) => s.name === 'spaceport.job' && s.attributes['spaceport.job.id'] === jobId));
    expect(life.spanContext().traceId).toBe(CALLER_TRACE);
    expect(life.parentSpanContext?.spanId).toBe(parentSpan);
    expect(life.attributes).toMatchObject({ 'spaceport.space': 'traced', 'spaceport.job.state': 'completed', 'spaceport.worker': expect.any(String) });
    expect(life.events.map((e) => e.name)).toEqual(['started']);
    worker.close();
    client.close();
  });
});
