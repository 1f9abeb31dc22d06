import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { SpaceportError } from '../protocol/errors.ts';

/** scrypt parameters (RFC 7914): N=2^15, r=8, p=1 — about 32 MiB and tens of ms per check. */
const N = 32_768;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

/**
 * scrypt runs on libuv's thread pool, which file reads and writes share (4 threads by default): a
 * flood of sign-ins once held every thread and an upload waited seconds for a write. So at most
 * HASHING_AT_ONCE hashes run at a time, at most HASHING_WAITING wait, and past that a sign-in is
 * refused (429) rather than queued without end.
 */
export const HASHING_AT_ONCE = 1;
export const HASHING_WAITING = 64;

/** Counts for tests and metrics: hashes computed, and the most that ever ran at once. */
export const hashingStats = { computed: 0, running: 0, mostAtOnce: 0 };
const waiting: Array<() => void> = [];

async function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  if (hashingStats.running >= HASHING_AT_ONCE) {
    if (waiting.length >= HASHING_WAITING) throw new SpaceportError('rate_limited', 'Too many sign-ins at once; retry in a moment.');
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  hashingStats.running += 1;
  hashingStats.mostAtOnce = Math.max(hashingStats.mostAtOnce, hashingStats.running);
  try {
    const options: ScryptOptions = { N: n, r, p, maxmem: 128 * n * r * 2 };
    return await new Promise((resolve, reject) => scryptCallback(password, salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))));
  } finally {
    hashingStats.computed += 1;
    hashingStats.running -= 1;
    waiting.shift()?.();
  }
}

/** `scrypt$N$r$p$salt$key` (base64): the parameters travel with the hash, so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash of nothing anyone knows, checked against when there is no user, so "no such user" costs a hash too. */
const NOBODY = `scrypt$${N}$${R}$${P}$${randomBytes(16).toString('base64')}$${randomBytes(KEY_BYTES).toString('base64')}`;

/**
 * Whether `password` matches `stored`. With `stored` null (no such user) a hash is computed all the
 * same and false returned: a wrong name and a wrong password take the same time, so names cannot
 * be found out by timing sign-ins.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = (stored ?? NOBODY).split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return stored !== null && actual.length === expected.length && timingSafeEqual(actual, expected);
}
