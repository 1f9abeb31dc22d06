const ID_BYTES = 12;
/** Random bytes are drawn this many ids at a time: one call to the system's generator per 128 ids instead of one each (a measurable share of a job's CPU). */
const POOL_IDS = 128;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const pool = new Uint8Array(ID_BYTES * POOL_IDS);
let used = pool.length;

/** Random, unguessable ids (96 bits): a job or blob id is also the capability to read it. */
export function newId(prefix: string): string {
  if (used === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    used = 0;
  }
  let hex = '';
  for (let i = used; i < used + ID_BYTES; i++) hex += HEX[pool[i]!];
  used += ID_BYTES;
  return `${prefix}_${hex}`;
}

/** A secret to hand out once (tokens, keys); 32 random bytes, base64url. */
export function newSecret(prefix: string): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return `${prefix}_${Buffer.from(bytes).toString('base64url')}`;
}
