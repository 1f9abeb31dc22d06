import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayWithBuiltinWorkers } from '../helpers/builtin.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

// Driven the way shared/seeds/001 shows: a raw WebSocket on /ws, a query with a session_id,
// tokens with an index, then end. The model behind it is the real built-in text generator.
let gw: TestGateway;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ gw, stop } = await gatewayWithBuiltinWorkers(['text-generation']));
}, 60_000);
afterAll(async () => {
  await stop?.();
});

async function socket(): Promise<WsPeer> {
  return WsPeer.open(`${gw.ws}/ws`);
}

describe('token-streaming dialect (/ws)', () => {
  it('streams a query as token messages with consecutive indexes, then end with totals', async () => {
    const ws = await socket();
    ws.send({ type: 'query', session_id: 'test-123', query: 'It is a truth universally acknowledged', stream: true, options: { max_tokens: 60 } });
    const end = await ws.wait('end', (m) => m.type === 'end', 30_000);
    const tokens = ws.of('token');
    expect(tokens.every((t) => t.session_id === 'test-123' && typeof t.token === 'string')).toBe(true);
    expect(tokens.map((t) => t.index)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(end).toMatchObject({ type: 'end', session_id: 'test-123', total_tokens: 60 });
    expect(end.duration_ms).toBeGreaterThan(0);
    // Real generation: characters of the model's vocabulary, mostly letters and spaces.
    const text = tokens.map((t) => t.token).join('');
    expect(text).toHaveLength(60);
    expect((text.match(/[a-z ]/gi) ?? []).length / text.length).toBeGreaterThan(0.7);
    // end comes after every token
    expect(ws.messages.indexOf(end)).toBe(ws.messages.length - 1);
    ws.close();
  });

  it('with stream:false sends the whole answer as one token, then end', async () => {
    const ws = await socket();
    ws.send({ type: 'query', session_id: 's2', query: 'Mr. Darcy', stream: false, options: { max_tokens: 25 } });
    const end = await ws.wait('end', (m) => m.type === 'end', 30_000);
    const tokens = ws.of('token');
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ session_id: 's2', index: 0 });
    expect(tokens[0]!.token).toHaveLength(25);
    expect(end.total_tokens).toBe(25);
    ws.close();
  });

  it('keeps concurrent queries apart by session_id', async () => {
    const ws = await socket();
    ws.send({ type: 'query', session_id: 'a', query: 'Emma', options: { max_tokens: 20 } });
    ws.send({ type: 'query', session_id: 'b', query: 'Anne', options: { max_tokens: 30 } });
    await ws.wait('two ends', (m) => m.type === 'end' && ws.of('end').length === 2, 30_000);
    for (const [id, n] of [
      ['a', 20],
      ['b', 30],
    ] as const) {
      expect(
        ws
          .of('token')
          .filter((t) => t.session_id === id)
          .map((t) => t.index),
      ).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(ws.of('end').find((e) => e.session_id === id)!.total_tokens).toBe(n);
    }
    ws.close();
  });

  it('answers ping with pong and an ISO timestamp', async () => {
    const ws = await socket();
    ws.send({ type: 'ping' });
    const pong = await ws.wait('pong', (m) => m.type === 'pong');
    expect(Object.keys(pong).sort()).toEqual(['timestamp', 'type']);
    expect(new Date(pong.timestamp).toISOString()).toBe(pong.timestamp);
    ws.close();
  });

  it('reports bad input as error with code (and session_id when known), keeping the connection', async () => {
    const ws = await socket();
    ws.send('{oops');
    ws.send({ type: 'query', session_id: 'bad-1' }); // no query
    ws.send({ type: 'shout', session_id: 'bad-2' });
    await ws.wait('three errors', (m) => m.type === 'error' && ws.of('error').length === 3);
    const [json, missing, unknown] = ws.of('error');
    expect(json).toMatchObject({ type: 'error', code: 'invalid_json' });
    expect(typeof json!.error).toBe('string');
    expect(missing).toMatchObject({ session_id: 'bad-1', code: 'invalid_message' });
    expect(unknown).toMatchObject({ session_id: 'bad-2', code: 'unknown_type' });
    ws.send({ type: 'ping' });
    await ws.wait('pong after errors', (m) => m.type === 'pong');
    ws.close();
  });
});

describe('token-streaming HTTP surface', () => {
  it('serves GET / (a page that talks to /ws), /health with the documented fields, and the documented metric names', async () => {
    // GET / is the web UI's home, whose quick-stream panel talks to /ws (driven in the browser tests).
    const page = await fetch(`${gw.url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/ui/main.js');
    expect(await (await fetch(`${gw.url}/ui/main.js`)).text()).toContain('/ws');
    const health = (await gw.http('GET', '/health')).body;
    expect(health).toMatchObject({ status: 'healthy' });
    expect(typeof health.connections).toBe('number');
    expect(typeof health.uptime_seconds).toBe('number');
    const ws = await socket();
    ws.send({ type: 'query', session_id: 'm', query: 'x', options: { max_tokens: 3 } });
    await ws.wait('end', (m) => m.type === 'end', 30_000);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    for (const name of ['websocket_connections_total', 'websocket_messages_sent_total', 'websocket_messages_received_total', 'websocket_query_duration_seconds_count', 'websocket_errors_total']) {
      expect(metrics).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? \\d`, 'm'));
    }
    expect(Number(metrics.match(/^websocket_query_duration_seconds_count (\d+)/m)![1])).toBeGreaterThan(0);
    ws.close();
  });
});

describe('text-generation worker', () => {
  it('honours cancel: the stream stops and the job ends cancelled', async () => {
    const client = await WsPeer.open(`${gw.ws}/v1/ws`);
    await client.wait('hello', (m) => m.type === 'hello');
    client.send({ type: 'submit', space: 'text-generation', prompt: 'Emma Woodhouse', options: { max_tokens: 2000 } });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await client.wait('tokens flowing', (m) => m.type === 'token' && client.of('token').length >= 20, 30_000);
    client.send({ type: 'cancel', job });
    await client.wait('cancelled', (m) => m.type === 'cancelled', 10_000);
    const count = client.of('token').length;
    expect(count).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.of('token')).toHaveLength(count); // nothing after the cancel
    expect(client.of('result')).toHaveLength(0);
    client.close();
  });
});
