import { describe, expect, it } from 'vitest';
import { LiveBlobs } from '../../src/engine/embedded/live-blobs.ts';
import type { BlobMeta } from '../../src/engine/types.ts';

const meta = (id: string, size: number): BlobMeta => ({ id, name: `${id}.bin`, mime: 'application/octet-stream', size, created_at: 0, job_id: 'job_1' });
const bytesOf = (size: number, seed: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i + seed * 31) % 256));
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('LiveBlobs (the live media window)', () => {
  it('keeps the newest files within its budget, byte for byte, across many laps of its ring', async () => {
    const blobs = new LiveBlobs(1000, 60_000);
    const sizes = [300, 250, 400, 120, 333, 90, 500, 260, 410, 77, 999, 1, 350, 350, 350];
    const put: Array<{ id: string; bytes: Buffer }> = [];
    for (const [i, size] of sizes.entries()) {
      const bytes = bytesOf(size, i);
      blobs.put(meta(`b${i}`, size), bytes);
      put.push({ id: `b${i}`, bytes });
      await nextTurn(); // reads after this come from the ring, not the Buffer that came in
      // What is held is the newest files (a lap may waste the ring's tail, so not always all that
      // would fit), within the budget, always including the last one, and each intact.
      const held = put.filter((p) => blobs.get(p.id));
      expect(held.map((p) => p.id)).toEqual(put.slice(put.length - held.length).map((p) => p.id));
      expect(held.reduce((n, p) => n + p.bytes.length, 0)).toBeLessThanOrEqual(1000);
      expect(held.at(-1)!.id).toBe(`b${i}`);
      for (const p of held) expect(blobs.get(p.id)!.bytes.equals(p.bytes)).toBe(true);
      expect(blobs.size).toBe(held.length);
    }
  });

  it('hands the incoming Buffer to reads in its own turn, and copies after', async () => {
    const blobs = new LiveBlobs(1000, 60_000);
    const bytes = bytesOf(100, 1);
    blobs.put(meta('a', 100), bytes);
    expect(blobs.get('a')!.bytes).toBe(bytes);
    await nextTurn();
    const copy = blobs.get('a')!.bytes;
    expect(copy).not.toBe(bytes);
    expect(copy.equals(bytes)).toBe(true);
    copy.fill(0); // a reader's copy is its own
    expect(blobs.get('a')!.bytes.equals(bytes)).toBe(true);
  });

  it('forgets files past their age', () => {
    let now = 1000;
    const blobs = new LiveBlobs(1000, 50, () => now);
    blobs.put(meta('old', 10), bytesOf(10, 1));
    now += 40;
    blobs.put(meta('new', 10), bytesOf(10, 2));
    now += 20;
    expect(blobs.get('old')).toBeUndefined();
    expect(blobs.get('new')).toBeDefined();
    blobs.put(meta('newer', 10), bytesOf(10, 3)); // evicts what expired
    expect(blobs.size).toBe(2);
    blobs.close();
  });

  it('refuses a file larger than the whole window', () => {
    const blobs = new LiveBlobs(100, 60_000);
    expect(() => blobs.put(meta('big', 101), bytesOf(101, 1))).toThrow(/live media is held up to 100 bytes/);
  });
});
