import { describe, expect, it } from 'vitest';
import { newId, newTimeOrderedId } from '../../src/core/ids.ts';

describe('newId', () => {
  it('gives 96 random bits in hex after the prefix, never the same twice across many refills of its pool', () => {
    const ids = Array.from({ length: 10_000 }, () => newId('job'));
    for (const id of ids) expect(id).toMatch(/^job_[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every hex digit shows up in every position (the bytes are used, not a constant or a counter).
    for (let pos = 4; pos < 28; pos++) expect(new Set(ids.map((id) => id[pos])).size).toBe(16);
  });
});

describe('newTimeOrderedId', () => {
  it('sorts by the millisecond it was made in, with 80 random bits after it', async () => {
    const first = Array.from({ length: 1000 }, () => newTimeOrderedId('job'));
    await new Promise((r) => setTimeout(r, 5));
    const later = newTimeOrderedId('job');
    for (const id of [...first, later]) expect(id).toMatch(/^job_[0-9a-f]{31}$/);
    expect(new Set(first).size).toBe(first.length);
    // Later ids sort after earlier ones (as strings: how SQLite orders them).
    for (const id of first) expect(id < later).toBe(true);
    expect(parseInt(later.slice(4, 15), 16)).toBeGreaterThanOrEqual(Date.now() - 1000);
    // The random part is random: every hex digit in every position.
    for (let pos = 15; pos < 35; pos++) expect(new Set(first.map((id) => id[pos])).size).toBe(16);
  });
});
