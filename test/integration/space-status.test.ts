import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { pythonWith } from '../helpers/processes.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

/** Live connection status: a space's watchers are told when its workers come and go. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'watched', inputs: ['prompt'], open_registration: true });
});
afterAll(() => gw.stop());

const statuses = (client: WsPeer) => client.messages.filter((m) => m.type === 'space_status' && m.space === 'watched');
/** Waits for the space's status to say `connected` (or not) in a message after the ones seen so far. */
const nextStatus = (client: WsPeer, connected: boolean) => {
  const seen = statuses(client).length;
  return until(`connected: ${connected}`, () =>
    statuses(client)
      .slice(seen)
      .find((s) => s.connected === connected),
  );
};

describe('space status, live', () => {
  it('tells a watcher when a worker connects and when it leaves, each change once', async () => {
    const client = await gw.client();
    client.send({ type: 'subscribe', id: 's', topic: 'space:watched' });
    await client.wait('subscribed', (m) => m.type === 'ack' && m.id === 's');
    // The snapshot a subscription starts with: nobody serves it yet.
    await until('the first status', () => statuses(client).length > 0);
    const connected = nextStatus(client, true);
    const worker = await gw.worker(['watched'], 2);
    expect(await connected).toMatchObject({ workers: 1, slots: 2, free_slots: 2 });
    const gone = nextStatus(client, false);
    worker.close();
    await gone;
    expect(statuses(client).map((s) => s.connected)).toEqual([false, true, false]);
    client.close();
  });

  it('does the same for a remote app of the WebSocket Spaces dialect', async () => {
    const client = await gw.client();
    client.send({ type: 'subscribe', id: 's', topic: 'all' });
    await client.wait('subscribed', (m) => m.type === 'ack' && m.id === 's');
    const connected = nextStatus(client, true);
    const app = await WsPeer.open(`${gw.ws}/websocket-spaces`);
    app.send({ type: 'register', space_name: 'watched' });
    await app.wait('registered', (m) => m.type === 'registered');
    await connected;
    const gone = nextStatus(client, false);
    app.close();
    await gone;
    client.close();
  });
});

interface MetricFamily {
  name: string;
  type: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number | null }>;
}

/** /metrics as the Prometheus project's own parser reads it (test/fixtures/python/parse_metrics.py). */
async function parsedMetrics(text: string): Promise<MetricFamily[]> {
  const parser = spawn(pythonWith('prometheus_client') ?? 'python3', ['test/fixtures/python/parse_metrics.py'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  parser.stdout.on('data', (d) => (out += d));
  parser.stdin.end(text);
  const code = await new Promise((r) => parser.once('exit', r));
  expect(code).toBe(0);
  return JSON.parse(out);
}

describe('per-space metrics', () => {
  it('puts each space’s queue, running jobs, workers and slots in /metrics, for an autoscaler to read', async () => {
    await gw.createSpace({ name: 'scaled', inputs: ['prompt'] });
    const worker = await gw.worker(['scaled'], 2);
    const client = await gw.client();
    for (let i = 0; i < 5; i++) client.send({ type: 'submit', id: `s${i}`, space: 'scaled', prompt: `p${i}` });
    await client.wait('five accepted', (m) => m.type === 'accepted' && client.of('accepted').length === 5);
    await until('two jobs at the worker', () => worker.of('job').length === 2 || undefined);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{space="scaled"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('spaceport_space_queue_length')).toBe(3);
    expect(value('spaceport_space_running_jobs')).toBe(2);
    expect(value('spaceport_space_workers')).toBe(1);
    expect(value('spaceport_space_slots')).toBe(2);
    expect(value('spaceport_space_free_slots')).toBe(0);
    client.close();
    worker.close();
  });

  it('parses as Prometheus text, with wait and run time histograms per space', async () => {
    await gw.createSpace({ name: 'timed', inputs: ['prompt'] });
    const worker = await gw.worker(['timed']);
    const client = await gw.client();
    client.send({ type: 'submit', id: 't', space: 'timed', prompt: 'p' });
    const { job } = await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'started', job });
    worker.send({ type: 'result', job, data: {} });
    await client.wait('the result', (m) => m.type === 'result' && m.job === job);
    const families = await parsedMetrics(await (await fetch(`${gw.url}/metrics`)).text());
    const sample = (family: string, name: string, labels: Record<string, string>) =>
      families.find((f) => f.name === family)?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(sample('spaceport_space_queue_length', 'spaceport_space_queue_length', { space: 'timed' })).toBe(0);
    expect(sample('spaceport_space_running_jobs', 'spaceport_space_running_jobs', { space: 'timed' })).toBe(0);
    expect(sample('spaceport_space_workers', 'spaceport_space_workers', { space: 'timed' })).toBe(1);
    expect(sample('spaceport_space_free_slots', 'spaceport_space_free_slots', { space: 'timed' })).toBe(1);
    expect(families.find((f) => f.name === 'spaceport_queue_wait_seconds')?.type).toBe('histogram');
    expect(sample('spaceport_queue_wait_seconds', 'spaceport_queue_wait_seconds_count', { space: 'timed' })).toBe(1);
    expect(sample('spaceport_queue_wait_seconds', 'spaceport_queue_wait_seconds_bucket', { space: 'timed', le: '+Inf' })).toBe(1);
    expect(families.find((f) => f.name === 'spaceport_job_duration_seconds')?.type).toBe('histogram');
    expect(sample('spaceport_job_duration_seconds', 'spaceport_job_duration_seconds_count', { space: 'timed', state: 'completed' })).toBe(1);
    client.close();
    worker.close();
  });
});
