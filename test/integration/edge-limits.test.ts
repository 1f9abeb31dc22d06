import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiB } from '../../src/server/config.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

const gateways: TestGateway[] = [];
async function gateway(options: Parameters<typeof testGateway>[0]): Promise<TestGateway> {
  const gw = await testGateway(options);
  gateways.push(gw);
  return gw;
}
afterAll(async () => {
  for (const gw of gateways) await gw.stop();
});

describe('a consumer too slow for its outbound buffer', () => {
  it('is closed with 4008 after a slow_consumer error, and resumes by seq without losing an event', async () => {
    // A lease long enough for the flood on a loaded machine: the worker's heartbeats queue behind its
    // 26 MB on the socket, and a lease that ran out first (1.5 s in the other tests) requeued the job.
    const gw = await gateway({ limits: { maxOutboundBytes: MiB }, maxEventsPerJob: 10_000, core: { leaseMs: 60_000 } });
    await gw.createSpace({ name: 'firehose', inputs: ['prompt'] });
    const { worker, client: slow, job } = await gw.heldJob('firehose', 'flood');
    // Stop reading: the kernel buffers fill first, then the gateway's queue for this socket.
    (slow.ws as any)._socket.pause();
    const chunk = 'x'.repeat(64 * 1024);
    const partials = 400; // ~26 MB, far past what loopback buffers hold
    worker.send({ type: 'started', job });
    for (let i = 0; i < partials; i++) worker.send({ type: 'partial', job, data: { i, chunk } });
    worker.send({ type: 'result', job, data: { partials } });
    const clientPeers = () => [...gw.context.peers.all()].filter((p) => p.endpoint === 'client');
    await until('the gateway to close the slow client', () => clientPeers().every((p) => p.closed) || undefined, 60_000);

    (slow.ws as any)._socket.resume();
    expect((await slow.waitClosed()).code).toBe(4008);
    expect(slow.messages.at(-1)).toMatchObject({ type: 'error', code: 'slow_consumer' });
    const seen = slow.messages.filter((m) => m.job === job && typeof m.seq === 'number');
    const lastSeq = Math.max(...seen.map((m) => m.seq));
    expect(seen.some((m) => m.type === 'result')).toBe(false);

    // The replay is paced to the same limit, so resuming a 26 MB backlog does not trip it again.
    const again = await gw.client();
    again.send({ type: 'resume', id: 'r', job, after_seq: lastSeq });
    // 26 MB through a loaded machine (CI runs this beside the browser tests) can take a while.
    await again.wait('result', (m) => m.type === 'result', 60_000);
    const indexes = [...seen, ...again.messages].filter((m) => m.job === job && m.type === 'partial').map((m) => m.data.i);
    expect(indexes).toEqual(Array.from({ length: partials }, (_, i) => i));
    expect(again.closed).toBeNull();
    again.close();
  }, 150_000);
});

describe('a resume that meets a job still streaming', () => {
  it('paces what arrived live during the replay too, so the resumer is not closed as slow', async () => {
    // A lease long enough for 25 MB on a loaded machine: one that ran out (1.5 s in the other
    // tests) would requeue the job and stop the very stream this test is about.
    const gw = await gateway({ limits: { maxOutboundBytes: MiB }, core: { leaseMs: 60_000 } });
    await gw.createSpace({ name: 'busy', inputs: ['prompt'] });
    const worker = await gw.worker(['busy']);
    const first = await gw.client();
    first.send({ type: 'submit', space: 'busy', prompt: 'flood' });
    const { job } = await first.wait('accepted', (m) => m.type === 'accepted');
    await worker.wait('job', (m) => m.type === 'job');
    first.close();
    worker.send({ type: 'started', job });
    const chunk = 'y'.repeat(64 * 1024);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    /** Partials `from`..`to`-1, resolved once the worker's socket has handed them all to the kernel. */
    const partials = async (from: number, to: number) => {
      for (let i = from; i < to; i++) worker.send({ type: 'partial', job, data: { i, chunk } });
      while (worker.ws.bufferedAmount > 0) await sleep(5);
    };
    // 12.8 MB: more than the sockets' buffers (the kernel's included) hold, so the replay of it has
    // to wait for its reader — and this reader is not reading yet.
    await partials(0, 200);
    const resumer = await gw.client();
    resumer.ws.pause();
    resumer.send({ type: 'resume', id: 'r', job, after_seq: 0 });
    await sleep(300);
    // These arrive while the replay waits: live lines held behind it, 12.8 MB more.
    await partials(200, 400);
    worker.send({ type: 'result', job, data: 'done' });
    await sleep(300);
    resumer.ws.resume();
    await resumer.wait('result', (m) => m.type === 'result' || m.type === 'error', 60_000);
    expect(resumer.of('error')).toEqual([]);
    expect(resumer.of('partial', job).map((m) => m.data.i)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(resumer.closed).toBeNull();
    resumer.close();
    worker.close();
  }, 90_000);
});

describe('a sender faster than its messages are handled', () => {
  it('is not read further past maxInboundBacklog until half is handled, and nothing is lost or reordered', async () => {
    const gw = await gateway({ limits: { maxInboundBacklog: 8 } });
    await gw.createSpace({ name: 'burst', inputs: ['prompt'] });
    const { worker, client, job } = await gw.heldJob('burst');
    // Thousands of messages in a few TCP reads: the socket is paused and resumed many times over.
    for (let i = 0; i < 3000; i++) worker.send({ type: 'token', job, text: `${i} ` });
    worker.send({ type: 'result', job, data: 'done' });
    await client.wait('result', (m) => m.type === 'result' && m.job === job, 20_000);
    expect(
      client
        .of('token', job)
        .map((m) => m.text)
        .join(''),
    ).toBe(Array.from({ length: 3000 }, (_, i) => `${i} `).join(''));
    worker.close();
    client.close();
  });
});

describe('a sender whose messages wait to be handled', () => {
  it('is not dropped for pongs it sent behind them: the ping check waits until it is read again', async () => {
    // Pings every 20 ms, a backlog of 4: a burst of submits keeps the socket paused for many pings.
    const gw = await gateway({ limits: { maxInboundBacklog: 4, pingIntervalMs: 20 } });
    await gw.createSpace({ name: 'pongs', inputs: ['prompt'], max_queue: 5000 });
    const client = await gw.client(ADMIN_TOKEN);
    for (let i = 0; i < 400; i++) client.send({ type: 'submit', id: `s${i}`, space: 'pongs', prompt: String(i) });
    await until('all accepted', () => client.closed !== null || client.of('accepted').length === 400 || undefined, 60_000);
    expect(client.closed).toBeNull();
    client.close();
  });
});

describe('idle connections', () => {
  it('closes a connection that exchanges no messages with 4010, but not one that keeps talking', async () => {
    const gw = await gateway({ limits: { idleTimeoutMs: 400, pingIntervalMs: 100 } });
    const quiet = await gw.client();
    const chatty = await gw.client();
    const pinger = setInterval(() => chatty.send({ type: 'ping', id: 'p' }), 100);
    expect((await quiet.waitClosed(5000)).code).toBe(4010);
    await new Promise((r) => setTimeout(r, 600));
    clearInterval(pinger);
    expect(chatty.closed).toBeNull();
    expect(chatty.of('pong').length).toBeGreaterThan(3);
    chatty.close();
  });
});

describe('origin allowlist', () => {
  it('refuses WebSockets and API calls from other origins and answers CORS for allowed ones', async () => {
    const gw = await gateway({ allowedOrigins: ['https://app.example'] });
    await expect(WsPeer.open(`${gw.ws}/v1/ws`, { origin: 'https://evil.example' })).rejects.toThrow('upgrade refused: 403');
    const ok = await WsPeer.open(`${gw.ws}/v1/ws`, { origin: 'https://app.example' });
    await ok.wait('hello', (m) => m.type === 'hello');
    ok.close();

    const evil = await gw.http('GET', '/v1/spaces', undefined, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body.error.code).toBe('origin_not_allowed');
    const allowed = await fetch(`${gw.url}/v1/spaces`, { headers: { origin: 'https://app.example' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const preflight = await fetch(`${gw.url}/v1/jobs`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('connection limit', () => {
  it('refuses upgrades past maxConnections with 503 too_many_connections, and accepts again once one closes', async () => {
    const gw = await gateway({ limits: { maxConnections: 2 } });
    const a = await gw.client();
    await gw.client();
    await expect(WsPeer.open(`${gw.ws}/v1/ws`)).rejects.toThrow('upgrade refused: 503');
    const refused = await refusedUpgrade(`${gw.url}/v1/ws`);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).error.code).toBe('too_many_connections');
    a.close();
    await until('a slot to free up', () => gw.context.peers.size < 2 || undefined);
    const c = await gw.client();
    c.close();
  });
});

/** Sends a WebSocket upgrade by hand and reads the refusal (status and JSON body). */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
    req.on('error', reject);
    req.end();
  });
}

describe('TLS', () => {
  it('serves HTTPS and WSS directly with --tls-cert/--tls-key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spaceport-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], {
      stdio: 'ignore',
    });
    const ca = readFileSync(cert);
    const gw = await gateway({ tls: { cert, key } });
    expect(gw.url.startsWith('https://')).toBe(true);

    const health = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      request(`${gw.url}/health`, { ca }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      })
        .on('error', reject)
        .end();
    });
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('healthy');

    const client = await WsPeer.open(`${gw.ws}/v1/ws`, {}, { ca });
    const hello = await client.wait('hello', (m) => m.type === 'hello');
    expect(hello.type).toBe('hello');
    client.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('GET /metrics', () => {
  it('exposes connections, messages, jobs by state, wait/duration/first-token histograms and errors by code', async () => {
    const gw = await gateway({});
    await gw.createSpace({ name: 'measured', inputs: ['prompt'] });
    const worker = await gw.worker(['measured']);
    const client = await gw.client();
    client.send({ type: 'submit', space: 'measured', prompt: 'hi' });
    client.send({ type: 'submit', space: 'no-such-space', prompt: 'hi' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await worker.wait('job', (m) => m.type === 'job');
    worker.send({ type: 'started', job });
    worker.send({ type: 'token', job, text: 'a' });
    worker.send({ type: 'result', job, data: 'a' });
    await client.wait('result', (m) => m.type === 'result');
    await client.wait('unknown space', (m) => m.type === 'error' && m.code === 'space_not_found');

    const res = await fetch(`${gw.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const value = (series: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(series + ' '))
          ?.slice(series.length + 1),
      );
    expect(value('spaceport_connections{endpoint="client"}')).toBe(1);
    expect(value('spaceport_connections{endpoint="worker"}')).toBe(1);
    expect(value('spaceport_messages_received_total{endpoint="client"}')).toBe(2);
    expect(value('spaceport_messages_received_total{endpoint="worker"}')).toBeGreaterThanOrEqual(4);
    expect(value('spaceport_jobs_ended_total{space="measured",state="completed"}')).toBe(1);
    expect(value('spaceport_queue_wait_seconds_count{space="measured"}')).toBe(1);
    expect(value('spaceport_job_duration_seconds_count{space="measured",state="completed"}')).toBe(1);
    expect(value('spaceport_time_to_first_token_seconds_count{space="measured"}')).toBe(1);
    expect(value('spaceport_errors_total{code="space_not_found"}')).toBe(1);
    expect(text).toMatch(/^spaceport_jobs\{state="completed"\} \d+$/m);
    client.close();
    worker.close();
  });
});

describe.each(['embedded', 'redis'] as const)('a worker that sends more output for a job than one job may (%s engine)', (engine) => {
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    if (engine === 'redis') redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('fails the job with output_too_large, tells the worker to stop, and goes on serving that worker', async () => {
    const gw = await gateway({ limits: { maxJobOutputBytes: 1000 }, ...(redis && { redis: { url: redis.url, prefix: `output-${Date.now()}:` } }) });
    await gw.createSpace({ name: 'chatty', inputs: ['prompt'] });
    const { worker, client, job } = await gw.heldJob('chatty', 'talk');
    worker.send({ type: 'started', job });
    for (let i = 0; i < 5; i++) worker.send({ type: 'token', job, text: 'x'.repeat(300) });
    const failed = await client.wait('the failure', (m) => m.type === 'failed' && m.job === job);
    expect(failed.code).toBe('output_too_large');
    // What crossed the budget was not kept: three tokens (900 characters), not four.
    expect(client.messages.filter((m) => m.type === 'token' && m.job === job)).toHaveLength(3);
    await worker.wait('the cancel', (m) => m.type === 'cancel' && m.job === job);
    await worker.wait('the error', (m) => m.type === 'error' && m.code === 'output_too_large');
    expect((await gw.http('GET', `/v1/jobs/${job}`)).body).toMatchObject({ state: 'failed', error: { code: 'output_too_large' } });

    // A result's data counts too; a job within the budget ends as usual, on the same worker.
    client.send({ type: 'submit', id: 'big', space: 'chatty', prompt: 'answer' });
    const big = (await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'big')).job;
    await worker.wait('the second job', (m) => m.type === 'job' && m.job === big);
    worker.send({ type: 'result', job: big, data: { text: 'y'.repeat(2000) } });
    expect((await client.wait('its failure', (m) => m.type === 'failed' && m.job === big)).code).toBe('output_too_large');
    client.send({ type: 'submit', id: 'fine', space: 'chatty', prompt: 'briefly' });
    const fine = (await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'fine')).job;
    await worker.wait('the third job', (m) => m.type === 'job' && m.job === fine);
    worker.send({ type: 'token', job: fine, text: 'ok' });
    worker.send({ type: 'result', job: fine, data: { text: 'ok' } });
    expect((await client.wait('its result', (m) => m.type === 'result' && m.job === fine)).data).toEqual({ text: 'ok' });
    worker.close();
    client.close();
  });
});
