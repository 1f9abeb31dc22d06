import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashingStats, HASHING_AT_ONCE } from '../../src/server/passwords.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';

/** A sign-in as a browser makes it: the status, the Retry-After header and the session cookie. */
async function login(gw: TestGateway, username: string, password: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as any;
  return { status: res.status, body, retryAfter: res.headers.get('retry-after'), cookie: res.headers.get('set-cookie')?.split(';')[0] };
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway({ signIn: { userFailures: 5, addressFailures: 1000, baseDelayMs: 400, maxDelayMs: 5000 }, trustedProxies: ['127.0.0.1'] });
  expect((await gw.admin('POST', '/v1/admin/users', { username: 'ada', password: 'lovelace-1815' })).status).toBe(201);
  expect((await gw.admin('POST', '/v1/admin/users', { username: 'alan', password: 'turing-1912' })).status).toBe(201);
});
afterAll(() => gw.stop());

describe('sign-in resists abuse', () => {
  it('locks a username after five failures with 429 and Retry-After, whatever the password, until the wait is over', async () => {
    for (let i = 0; i < 5; i++) expect((await login(gw, 'ada', `wrong-${i}`)).status).toBe(401);
    const locked = await login(gw, 'ada', 'wrong-again');
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    expect(Number(locked.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await login(gw, 'ada', 'lovelace-1815')).status).toBe(429); // locked is locked
    expect((await login(gw, 'alan', 'turing-1912')).status).toBe(200); // another user is not
    await until('the lock to lift', async () => (await login(gw, 'ada', 'lovelace-1815')).status === 200 || undefined);
  });

  it('counts failures per client address too, from a trusted proxy’s X-Forwarded-For', async () => {
    const strict = await testGateway({
      signIn: { userFailures: 1000, addressFailures: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      trustedProxies: ['127.0.0.1'],
    });
    try {
      const from = (address: string) => ({ 'x-forwarded-for': `203.0.113.9, ${address}` });
      for (let i = 0; i < 3; i++) expect((await login(strict, `nobody-${i}`, 'x', from('198.51.100.1'))).status).toBe(401);
      expect((await login(strict, 'nobody-9', 'x', from('198.51.100.1'))).status).toBe(429);
      expect((await login(strict, 'nobody-9', 'x', from('198.51.100.2'))).status).toBe(401); // another client
    } finally {
      await strict.stop();
    }
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const direct = await testGateway({ signIn: { userFailures: 1000, addressFailures: 2, baseDelayMs: 60_000, maxDelayMs: 60_000 } });
    try {
      for (let i = 0; i < 2; i++) expect((await login(direct, `x${i}`, 'x', { 'x-forwarded-for': `10.0.0.${i}` })).status).toBe(401);
      expect((await login(direct, 'x9', 'x', { 'x-forwarded-for': '10.0.0.99' })).status).toBe(429);
    } finally {
      await direct.stop();
    }
  });

  it('hashes a password for an unknown name as for a known one (no timing tells names apart)', async () => {
    const before = hashingStats.computed;
    expect((await login(gw, 'no-such-person', 'whatever-1')).status).toBe(401);
    expect(hashingStats.computed - before).toBe(1);
    expect((await login(gw, 'alan', 'not-his-password')).status).toBe(401);
    expect(hashingStats.computed - before).toBe(2);
  });

  it('runs at most HASHING_AT_ONCE hashes at a time however many sign-ins arrive, and serves other requests meanwhile', async () => {
    hashingStats.mostAtOnce = 0;
    const flood = Array.from({ length: 12 }, (_, i) => login(gw, `flood-${i}`, 'x'));
    expect((await gw.http('GET', '/health')).status).toBe(200);
    const statuses = (await Promise.all(flood)).map((r) => r.status);
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect(hashingStats.mostAtOnce).toBe(HASHING_AT_ONCE);
  });

  it('refuses sign-out from a foreign page, takes it from our own', async () => {
    const { cookie } = await login(gw, 'alan', 'turing-1912');
    const out = (origin: string) => fetch(`${gw.url}/v1/auth/logout`, { method: 'POST', headers: { cookie: cookie!, origin } });
    expect((await out('https://evil.example')).status).toBe(403);
    const me = await gw.http('GET', '/v1/me', undefined, { cookie: cookie! });
    expect(me.body.name).toBe('alan'); // still signed in
    expect((await out(new URL(gw.url).origin)).status).toBe(200);
    expect((await gw.http('GET', '/v1/me', undefined, { cookie: cookie! })).body.kind).toBe('anonymous');
  });

  it('keeps the name "admin" for the built-in admin', async () => {
    const res = await gw.admin('POST', '/v1/admin/users', { username: 'Admin', password: 'not-the-token' });
    expect(res.status).toBe(409);
  });
});

describe('the admin signs in with the current admin token only', () => {
  it('after the token changes, the old one neither signs in nor keeps a session; the new one signs in', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'spaceport-rotate-'));
    try {
      const first = await testGateway({ dataDir, adminToken: 'first-admin-token' });
      const signedIn = await login(first, 'admin', 'first-admin-token');
      expect(signedIn.status).toBe(200);
      await first.stop();

      const second = await testGateway({ dataDir, adminToken: 'second-admin-token' });
      try {
        expect((await login(second, 'admin', 'first-admin-token')).status).toBe(401);
        expect((await second.http('GET', '/v1/me', undefined, { cookie: signedIn.cookie! })).body.kind).toBe('anonymous');
        const fresh = await login(second, 'admin', 'second-admin-token');
        expect(fresh.status).toBe(200);
        expect((await second.http('GET', '/v1/me', undefined, { cookie: fresh.cookie! })).body.kind).toBe('admin');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

it('the test gateway’s admin token is not this file’s', () => expect(ADMIN_TOKEN).not.toBe('second-admin-token'));
