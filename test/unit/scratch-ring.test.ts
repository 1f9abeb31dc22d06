import { describe, expect, it } from 'vitest';
import { giveBack, isLent } from '../../src/protocol/lent-bytes.ts';
import { ScratchRing } from '../../src/engine/redis/scratch-ring.ts';

describe('ScratchRing', () => {
  it('lends regions that never overlap while lent, and none when there is no room', () => {
    const ring = new ScratchRing(100);
    const a = ring.take(40)!;
    const b = ring.take(40)!;
    expect(isLent(a) && isLent(b)).toBe(true);
    a.fill(1);
    b.fill(2);
    expect(ring.take(40)).toBeUndefined(); // 20 left at the end, nothing at the start
    expect(ring.take(51)).toBeUndefined(); // over half the ring: never
    expect(a.every((x) => x === 1)).toBe(true);
    giveBack(a);
    const c = ring.take(40)!; // wraps into what a gave back
    c.fill(3);
    expect(b.every((x) => x === 2)).toBe(true);
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(ring.take(1)).toBeUndefined(); // the wrapped head has met b
  });

  it('reclaims a region given back early only once those before it are back', () => {
    const ring = new ScratchRing(100);
    const a = ring.take(30)!;
    const b = ring.take(30)!;
    const c = ring.take(30)!;
    giveBack(b);
    expect(ring.take(30)).toBeUndefined(); // b's room waits for a
    giveBack(a);
    const d = ring.take(30)!; // at the start again
    d.fill(4);
    c.fill(5);
    expect(ring.take(30)).toBeDefined(); // a and b are both free: 60 before c
    expect(c.every((x) => x === 5) && d.every((x) => x === 4)).toBe(true);
  });

  it('starts at the start again once everything is back, and lets its memory go when idle', async () => {
    const ring = new ScratchRing(100, 20);
    const a = ring.take(50)!;
    giveBack(a);
    const b = ring.take(50)!;
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(b.buffer).toBe(a.buffer);
    giveBack(b);
    await new Promise((r) => setTimeout(r, 50));
    expect(ring.take(50)!.buffer).not.toBe(a.buffer);
  });
});
