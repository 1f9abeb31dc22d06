import { newId } from '../../core/ids.ts';
import { publicJob, type Identity } from '../../core/types.ts';
import type { UserRecord } from '../../core/ports/records.ts';
import { jobPage } from '../job-pages.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { CredentialCreate, LoginRequest, UserCreate, UserUpdate, parseBody } from '../../protocol/rest-schemas.ts';
import { SESSION_COOKIE, cookieOriginAllowed, hashSecret, sessionCookie } from '../auth.ts';
import { clientAddress } from '../client-address.ts';
import { announceRevocation } from '../credential-watch.ts';
import { LoginThrottle } from '../login-throttle.ts';
import { issueCredential, publicCredential } from '../credentials.ts';
import { readJson, sendJson } from '../http-io.ts';
import type { RequestContext, Router } from '../http-router.ts';
import { hashPassword, verifyPassword } from '../passwords.ts';
import type { ServerContext } from '../server-context.ts';
import { requireAdmin } from './admin-routes.ts';

/** How long a sign-in lasts. */
const SESSION_MS = 7 * 24 * 3600_000;

/** The built-in admin's username. */
const ADMIN_NAME = 'admin';

const publicUser = (u: UserRecord) => ({ id: u.id, username: u.username, role: u.role, created_at: new Date(u.created_at).toISOString() });

/**
 * Accounts: sign in and out (a session cookie: HttpOnly, SameSite=Lax, Secure over TLS), who am I,
 * a user's own API keys, and user management for admins. The built-in `admin` signs in with the
 * admin token as its password, so a fresh gateway needs no other setup to reach the admin panel.
 */
export function accountRoutes(router: Router, ctx: ServerContext): void {
  const { engine, config } = ctx;
  // Sign-in, users and keys are a few fields: an anonymous sign-in may not make the gateway read megabytes.
  const body = (rc: RequestContext) => readJson(rc.req, Math.min(64 * 1024, config.limits.maxJsonBodyBytes));
  const cookie = (value: string, maxAgeS: number) => `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${config.tls ? '; Secure' : ''}`;

  const signedInUser = async (rc: RequestContext): Promise<Identity> => {
    const who = await rc.who();
    if (who.kind === 'anonymous') throw new SpaceportError('unauthorized', 'Sign in first.');
    if (!(await engine.getUser(who.id))) throw new SpaceportError('forbidden', 'Only user accounts have their own API keys (the admin token is not one).');
    return who;
  };
  /** The hashes of a user's keys and sign-ins: what their sockets were opened with. */
  const credentialsOf = async (userId: string) => {
    const all = [...(await engine.listCredentials('api_key')), ...(await engine.listCredentials('web_session'))];
    return all.filter((c) => c.user_id === userId && c.revoked_at === null).map((c) => c.hash);
  };
  const userNamed = async (name: string) => {
    const user = await engine.findUser(name);
    if (!user) throw new SpaceportError('user_not_found', `No user is named "${name}".`);
    return user;
  };

  const { signIn } = config;
  const perUser = new LoginThrottle({ freeFailures: signIn.userFailures, baseDelayMs: signIn.baseDelayMs, maxDelayMs: signIn.maxDelayMs });
  const perAddress = new LoginThrottle({ freeFailures: signIn.addressFailures, baseDelayMs: signIn.baseDelayMs, maxDelayMs: signIn.maxDelayMs });

  router.on('POST', '/v1/auth/login', async (rc) => {
    const { username, password } = parseBody(LoginRequest, await body(rc));
    const name = username.toLowerCase();
    const address = clientAddress(rc.req, config.trustedProxies);
    const now = Date.now();
    const waitMs = Math.max(perUser.waitMs(name, now), perAddress.waitMs(address, now));
    if (waitMs > 0) {
      rc.res.setHeader('retry-after', String(Math.ceil(waitMs / 1000)));
      throw new SpaceportError('rate_limited', `Too many failed sign-ins; try again in ${Math.ceil(waitMs / 1000)} s.`);
    }
    const user = name === ADMIN_NAME ? await adminSignIn(password) : await checkPassword(name, password);
    if (!user) {
      perUser.failed(name, Date.now());
      perAddress.failed(address, Date.now());
      throw new SpaceportError('bad_credentials');
    }
    perUser.succeeded(name);
    const bound = name === ADMIN_NAME ? { adminToken: ctx.auth.adminFingerprint } : {};
    const { secret } = await issueCredential(engine, 'web_session', `sign-in of ${user.username}`, {
      userId: user.id,
      expiresAt: Date.now() + SESSION_MS,
      ...bound,
    });
    rc.res.setHeader('set-cookie', cookie(secret, SESSION_MS / 1000));
    sendJson(rc.res, 200, { user: publicUser(user) });
  });
  /** A user whose password this is, or null; an unknown name costs a hash all the same (passwords.ts). */
  const checkPassword = async (name: string, password: string): Promise<UserRecord | null> => {
    const user = await engine.findUser(name);
    return (await verifyPassword(password, user?.password_hash ?? null)) ? user : null;
  };
  /**
   * The built-in admin signs in with the admin token as its password — always the current one, not
   * a hash kept from an earlier token — and its account is made on its first sign-in.
   */
  const adminSignIn = async (password: string): Promise<UserRecord | null> => {
    await verifyPassword(password, null); // hashed either way, so the admin's name times like any other
    if (!ctx.auth.isAdminToken(password)) return null;
    const existing = await engine.findUser(ADMIN_NAME);
    if (existing) return existing;
    const user: UserRecord = { id: newId('user'), username: ADMIN_NAME, password_hash: 'token', role: 'admin', created_at: Date.now() };
    await engine.createUser(user);
    return user;
  };
  router.on('POST', '/v1/auth/logout', async (rc) => {
    // A cookie goes with every request, whichever page made it: only our own pages may sign out.
    if (!cookieOriginAllowed(rc.req, config.allowedOrigins)) throw new SpaceportError('origin_not_allowed', 'Sign-out must come from an allowed origin.');
    const secret = sessionCookie(rc.req);
    const record = secret ? await engine.findCredential(hashSecret(secret)) : null;
    if (record?.kind === 'web_session' && (await engine.revokeCredential(record.id))) announceRevocation(ctx, { hashes: [record.hash] });
    rc.res.setHeader('set-cookie', cookie('', 0));
    sendJson(rc.res, 200, { signed_out: true });
  });
  router.on('GET', '/v1/me', async (rc) => {
    const who = await rc.who();
    const user = who.kind === 'anonymous' ? null : await engine.getUser(who.id);
    sendJson(rc.res, 200, { kind: who.kind, name: who.name, user: user ? publicUser(user) : null });
  });

  // Your jobs, newest first, a page at a time (the UI's history for signed-in people).
  router.on('GET', '/v1/me/jobs', async (rc) => {
    const who = await rc.who();
    if (who.kind === 'anonymous') throw new SpaceportError('unauthorized', 'Sign in to see your jobs (anonymous jobs are known only by their ids).');
    const page = await jobPage(rc, ctx, 20, { ownerId: who.id });
    sendJson(rc.res, 200, { jobs: page.jobs.map((j) => ({ ...publicJob(j), prompt: j.inputs.prompt?.slice(0, 80) ?? null })), next: page.next });
  });

  router.on('GET', '/v1/me/api-keys', async (rc) => {
    const who = await signedInUser(rc);
    const keys = (await engine.listCredentials('api_key')).filter((k) => k.user_id === who.id && k.revoked_at === null);
    sendJson(rc.res, 200, { keys: keys.map(publicCredential) });
  });
  router.on('POST', '/v1/me/api-keys', async (rc) => {
    const who = await signedInUser(rc);
    const input = parseBody(CredentialCreate, (await body(rc)) ?? {});
    const { secret, record } = await issueCredential(engine, 'api_key', input.name ?? `${who.name}'s key`, { userId: who.id });
    sendJson(rc.res, 201, { ...publicCredential(record), key: secret });
  });
  router.on('DELETE', '/v1/me/api-keys/:id', async (rc) => {
    const who = await signedInUser(rc);
    const key = (await engine.listCredentials('api_key')).find((k) => k.id === rc.params.id && k.user_id === who.id);
    if (!key || !(await engine.revokeCredential(key.id))) throw new SpaceportError('not_found', `You have no active API key with id "${rc.params.id}".`);
    announceRevocation(ctx, { hashes: [key.hash] });
    sendJson(rc.res, 200, { revoked: key.id });
  });

  router.on('GET', '/v1/admin/users', async (rc) => {
    await requireAdmin(rc);
    sendJson(rc.res, 200, { users: (await engine.listUsers()).map(publicUser) });
  });
  router.on('POST', '/v1/admin/users', async (rc) => {
    await requireAdmin(rc);
    const input = parseBody(UserCreate, await body(rc));
    if (input.username.toLowerCase() === ADMIN_NAME) throw new SpaceportError('user_exists', `"${ADMIN_NAME}" is the built-in admin, who signs in with the admin token.`);
    const user: UserRecord = {
      id: newId('user'),
      username: input.username,
      password_hash: await hashPassword(input.password),
      role: input.role ?? 'user',
      created_at: Date.now(),
    };
    await engine.createUser(user);
    sendJson(rc.res, 201, publicUser(user));
  });
  router.on('PATCH', '/v1/admin/users/:name', async (rc) => {
    await requireAdmin(rc);
    const user = await userNamed(rc.params.name!);
    const input = parseBody(UserUpdate, await body(rc));
    const updated: UserRecord = {
      ...user,
      ...(input.role && { role: input.role }),
      ...(input.password && { password_hash: await hashPassword(input.password) }),
    };
    const hashes = await credentialsOf(user.id);
    await engine.updateUser(updated);
    // Sockets opened as this user act with the role they had then: a changed role closes them.
    if (updated.role !== user.role) announceRevocation(ctx, { hashes });
    sendJson(rc.res, 200, publicUser(updated));
  });
  router.on('DELETE', '/v1/admin/users/:name', async (rc) => {
    await requireAdmin(rc);
    const user = await userNamed(rc.params.name!);
    const hashes = await credentialsOf(user.id);
    await engine.deleteUser(user.id);
    announceRevocation(ctx, { hashes });
    sendJson(rc.res, 200, { deleted: user.username });
  });
}
