import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALECTS } from '../../src/dialects/dialects.ts';
import { startGateway, type Gateway } from '../../src/server/gateway.ts';
import type { GatewayOptions } from '../../src/server/config.ts';
import { WsPeer } from './ws-peer.ts';

export const ADMIN_TOKEN = 'test-admin-token';

/** Fast intervals so fault tests run in seconds. */
export const FAST_CORE = { leaseMs: 1500, heartbeatMs: 300, sweepIntervalMs: 100, statusIntervalMs: 20, cancelGraceMs: 1000, reattachGraceMs: 300 };

export interface TestGateway extends Gateway {
  ws: string;
  dataDir: string;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  http(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  createSpace(body: Record<string, unknown>): Promise<any>;
  client(token?: string): Promise<WsPeer>;
  worker(spaces: string[], slots?: number, token?: string, opts?: { heartbeats?: boolean }): Promise<WsPeer>;
  heldJob(space: string, prompt?: string): Promise<{ worker: WsPeer; client: WsPeer; job: string }>;
  stop(): Promise<void>;
}

/** A real gateway on port 0 with its own data directory. */
export async function testGateway(options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'spaceport-test-'));
  const gateway = await startGateway({
    speaks: DIALECTS, // as `spaceport serve` does
    port: 0,
    host: '127.0.0.1',
    adminToken: ADMIN_TOKEN,
    logLevel: process.env.LOG_LEVEL ?? 'silent',
    // The endpoint tests run again on the plain wire (vitest.config.ts, project "plain wire").
    wire: process.env.SPACEPORT_WIRE === 'plain' ? 'plain' : 'fast',
    // Charts get a sample every half second, so a test sees them fill.
    activityIntervalMs: 500,
    ...options,
    dataDir,
    core: { ...FAST_CORE, ...options.core },
  });
  const ws = gateway.url.replace(/^http/, 'ws');
  const http = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(gateway.url + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed as any };
  };
  const admin = (method: string, path: string, body?: unknown) => http(method, path, body, { authorization: `Bearer ${ADMIN_TOKEN}` });
  return Object.assign(gateway, {
    ws,
    dataDir,
    http,
    admin,
    async createSpace(body: Record<string, unknown>) {
      const res = await admin('POST', '/v1/admin/spaces', body);
      if (res.status !== 201) throw new Error(`createSpace: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async client(token?: string) {
      const peer = await WsPeer.open(`${ws}/v1/ws`, token ? { authorization: `Bearer ${token}` } : {});
      await peer.wait('hello', (m) => m.type === 'hello');
      return peer;
    },
    /**
     * A raw worker that heartbeats as a real one does (the test lease is 1.5 s, which a loaded
     * machine can outlast mid-test); `{ heartbeats: false }` for the tests about silent workers.
     */
    async worker(spaces: string[], slots = 1, token = ADMIN_TOKEN, opts: { heartbeats?: boolean } = {}) {
      const peer = await WsPeer.open(`${ws}/v1/worker`);
      peer.send({ type: 'register', token, spaces, slots });
      const reply = await peer.wait('registered', (m) => m.type === 'registered' || m.type === 'error');
      if (reply.type === 'registered' && opts.heartbeats !== false) {
        const beat = setInterval(() => peer.ws.readyState === peer.ws.OPEN && peer.send({ type: 'heartbeat' }), reply.heartbeat_ms);
        peer.ws.once('close', () => clearInterval(beat));
      }
      return peer;
    },
    /** A worker of `space` and a client, and a job the client submitted that the worker now holds. */
    async heldJob(space: string, prompt = 'go') {
      const worker = await this.worker([space]);
      const client = await this.client();
      client.send({ type: 'submit', space, prompt });
      const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
      await worker.next('job', (m) => m.type === 'job' && m.job === job);
      return { worker, client, job: job as string };
    },
    async stop() {
      await gateway.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/**
 * Two gateway instances sharing `redis` under a key prefix of their own (`name` and the time: never
 * another test's keys), each with `options`.
 */
export async function twoInstances(redis: { url: string }, name: string, options: Partial<GatewayOptions> = {}): Promise<[TestGateway, TestGateway]> {
  const prefix = `${name}-${Date.now()}:`;
  return (await Promise.all([0, 1].map(() => testGateway({ ...options, redis: { url: redis.url, prefix } })))) as [TestGateway, TestGateway];
}
