const ID_BYTES = 12;
/** Random bytes are drawn this many ids at a time: one call to the system's generator per 128 ids instead of one each (a measurable share of a job's CPU). */
const POOL_IDS = 128;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const pool = new Uint8Array(ID_BYTES * POOL_IDS);
let used = pool.length;

/** `bytes` random bytes in hex, from the pool. */
function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    used = 0;
  }
  let hex = '';
  for (let i = used; i < used + bytes; i++) hex += HEX[pool[i]!];
  used += bytes;
  return hex;
}

/** Random, unguessable ids (96 bits): a job or blob id is also the capability to read it. */
export function newId(prefix: string): string {
  return `${prefix}_${randomHex(ID_BYTES)}`;
}

/**
 * Ids that sort by creation time (the millisecond in 11 hex digits) and are still unguessable
 * (80 random bits after it), for records written at a high rate: SQLite keys them into the
 * right-hand end of its B-trees, so the jobs of one transaction share pages. With random ids every
 * job dirtied pages of its own in the id index and the event table, and a batch of jobs cost
 * 108 µs of CPU each instead of 27 (transactions of 150 jobs into a table of 30,000).
 */
export function newTimeOrderedId(prefix: string): string {
  return `${prefix}_${Date.now().toString(16).padStart(11, '0')}${randomHex(10)}`;
}

/** A secret to hand out once (tokens, keys); 32 random bytes, base64url. */
export function newSecret(prefix: string): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return `${prefix}_${Buffer.from(bytes).toString('base64url')}`;
}
