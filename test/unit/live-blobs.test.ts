import { describe, expect, it } from 'vitest';
import { LiveBlobs } from '../../src/engine/embedded/live-blobs.ts';
import type { BlobMeta } from '../../src/core/ports/blobs.ts';
import { giveBack, isLent } from '../../src/protocol/lent-bytes.ts';

const meta = (id: string, size: number): BlobMeta => ({ id, name: `${id}.bin`, mime: 'application/octet-stream', size, created_at: 0, job_id: 'job_1' });
const bytesOf = (size: number, seed: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i + seed * 31) % 256));

describe('LiveBlobs (the live media window)', () => {
  it('keeps the newest files within its budget, byte for byte, across many laps of its ring', () => {
    const blobs = new LiveBlobs(1000, 60_000);
    const sizes = [300, 250, 400, 120, 333, 90, 500, 260, 410, 77, 999, 1, 350, 350, 350];
    const put: Array<{ id: string; bytes: Buffer }> = [];
    for (const [i, size] of sizes.entries()) {
      const bytes = bytesOf(size, i);
      blobs.put(meta(`b${i}`, size), bytes);
      put.push({ id: `b${i}`, bytes });
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

  it('gives readers a copy, and lends pushers the bytes as held, pinned until given back', () => {
    const blobs = new LiveBlobs(1000, 60_000);
    const bytes = bytesOf(100, 1);
    blobs.put(meta('a', 100), bytes);
    const copy = blobs.get('a')!.bytes;
    expect(copy.equals(bytes)).toBe(true);
    copy.fill(0); // a reader's copy is its own
    expect(blobs.get('a')!.bytes.equals(bytes)).toBe(true);
    const lent = blobs.lend('a')!.bytes;
    expect(lent.equals(bytes)).toBe(true);
    expect(isLent(lent)).toBe(true);
    expect(blobs.pinned).toBe(1);
    giveBack(lent);
    giveBack(lent); // twice is once
    expect(blobs.pinned).toBe(0);
  });

  it('keeps a frame read into a reserved region without copying it, and reuses a region given back unused', () => {
    const blobs = new LiveBlobs(1000, 60_000);
    const region = blobs.reserve(300)!;
    bytesOf(300, 4).copy(region);
    blobs.put(meta('r', 300), region);
    expect(blobs.pinned).toBe(0); // the reservation became a file
    const lent = blobs.lend('r')!.bytes;
    expect(lent.buffer).toBe(region.buffer);
    expect(lent.byteOffset).toBe(region.byteOffset); // the same memory: no copy was made
    expect(lent.equals(bytesOf(300, 4))).toBe(true);
    giveBack(lent);
    const unused = blobs.reserve(200)!;
    giveBack(unused); // an upload that failed
    expect(blobs.pinned).toBe(0);
    expect(blobs.reserve(2000)).toBeUndefined(); // larger than the window
  });

  it.each([
    [7, 1000, 260],
    [11, 700, 330], // larger files for the ring: more wraps past pins, more held apart
    [23, 2000, 120],
  ])('never overwrites lent or reserved bytes, whatever the order of puts, lends and returns (seed %i, ring %i, files up to %i)', (start, ring, largest) => {
    // A seeded walk over many laps of a small ring: after every step, each file held reads back
    // intact, and each view still lent holds exactly what it was lent with.
    let seed = start;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const blobs = new LiveBlobs(ring, 60_000);
    const originals = new Map<string, Buffer>();
    const lent: Array<{ view: Buffer; expected: Buffer }> = [];
    const reserved: Array<{ view: Buffer; id: string; bytes: Buffer }> = [];
    for (let step = 0; step < 3000; step++) {
      const op = random(10);
      const id = `s${step}`;
      const bytes = bytesOf(1 + random(largest), step);
      if (op < 3) {
        blobs.put(meta(id, bytes.length), bytes);
        originals.set(id, bytes);
      } else if (op < 5) {
        const view = blobs.reserve(bytes.length);
        if (view) {
          bytes.copy(view);
          reserved.push({ view, id, bytes });
        }
      } else if (op < 6 && reserved.length > 0) {
        const r = reserved.splice(random(reserved.length), 1)[0]!;
        if (random(4) === 0)
          giveBack(r.view); // its upload failed
        else {
          blobs.put(meta(r.id, r.bytes.length), r.view);
          originals.set(r.id, r.bytes);
        }
      } else if (op < 8) {
        const held = [...originals.keys()];
        const pick = held[random(Math.max(1, held.length))];
        const got = pick ? blobs.lend(pick) : undefined;
        if (got) lent.push({ view: got.bytes, expected: Buffer.from(originals.get(pick!)!) });
      } else if (lent.length > 0) {
        giveBack(lent.splice(random(lent.length), 1)[0]!.view);
      }
      for (const [k, original] of originals) {
        const got = blobs.get(k);
        if (!got)
          originals.delete(k); // evicted: it never comes back
        else if (!got.bytes.equals(original)) expect.fail(`${k} changed while held (step ${step})`);
      }
      if (lent.some((l) => !l.view.equals(l.expected))) expect.fail(`a lent view was overwritten (step ${step})`);
      if (reserved.some((r) => !r.view.equals(r.bytes))) expect.fail(`a reserved region was overwritten (step ${step})`);
    }
    for (const l of lent) giveBack(l.view);
    for (const r of reserved) giveBack(r.view);
    expect(blobs.pinned).toBe(0);
  });

  it('copies a frame whose reserved region the head went round and passed before it was kept', () => {
    const blobs = new LiveBlobs(1000, 60_000);
    const region = blobs.reserve(300)!; // [0, 300)
    bytesOf(300, 9).copy(region);
    blobs.put(meta('a', 300), bytesOf(300, 1)); // [300, 600)
    blobs.put(meta('b', 300), bytesOf(300, 2)); // [600, 900)
    blobs.put(meta('c', 300), bytesOf(300, 3)); // wraps, skips the reservation: [300, 600)
    blobs.put(meta('r', 300), region); // its region is behind the head now
    blobs.put(meta('d', 300), bytesOf(300, 4));
    blobs.put(meta('e', 300), bytesOf(300, 5)); // wraps onto where the reservation was
    expect(blobs.get('r')?.bytes.equals(bytesOf(300, 9)) ?? true).toBe(true);
    expect(blobs.get('e')!.bytes.equals(bytesOf(300, 5))).toBe(true);
  });

  it('copies out a passed reservation it has to hold apart, since its region goes back', () => {
    const blobs = new LiveBlobs(600, 60_000);
    const region = blobs.reserve(300)!; // [0, 300)
    bytesOf(300, 9).copy(region);
    blobs.put(meta('a', 300), bytesOf(300, 1)); // [300, 600)
    blobs.put(meta('c', 300), bytesOf(300, 3)); // wraps, skips the reservation, passes it: [300, 600)
    const c = blobs.lend('c')!.bytes; // pinned: no region left for the reservation's bytes
    blobs.put(meta('r', 300), region); // held apart
    blobs.put(meta('d', 300), bytesOf(300, 4)); // back where the reservation was
    expect(blobs.get('r')!.bytes.equals(bytesOf(300, 9))).toBe(true);
    giveBack(c);
  });

  it('holds a file apart when every region that would fit it is lent', () => {
    const blobs = new LiveBlobs(300, 60_000);
    blobs.put(meta('a', 150), bytesOf(150, 1));
    blobs.put(meta('b', 150), bytesOf(150, 2));
    const a = blobs.lend('a')!.bytes;
    const b = blobs.lend('b')!.bytes;
    blobs.put(meta('c', 100), bytesOf(100, 3));
    expect(blobs.get('c')!.bytes.equals(bytesOf(100, 3))).toBe(true);
    expect(a.equals(bytesOf(150, 1)) && b.equals(bytesOf(150, 2))).toBe(true);
    giveBack(a);
    giveBack(b);
    blobs.put(meta('d', 300), bytesOf(300, 4)); // back in the ring once they are returned
    expect(blobs.get('d')!.bytes.equals(bytesOf(300, 4))).toBe(true);
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
