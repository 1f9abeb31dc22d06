import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';

describe('newId', () => {
  it('gives 96 random bits in hex after the prefix, never the same twice across many refills of its pool', () => {
    const ids = Array.from({ length: 10_000 }, () => newId('job'));
    for (const id of ids) expect(id).toMatch(/^job_[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every hex digit shows up in every position (the bytes are used, not a constant or a counter).
    for (let pos = 4; pos < 28; pos++) expect(new Set(ids.map((id) => id[pos])).size).toBe(16);
  });
});
