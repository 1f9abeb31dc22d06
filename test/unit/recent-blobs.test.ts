import { describe, expect, it } from 'vitest';
import { RecentBlobs } from '../../src/engine/embedded/recent-blobs.ts';

describe('recent blobs kept in memory', () => {
  it('keeps the newest within the byte budget, drops the oldest first, and forgets deleted ones', () => {
    const cache = new RecentBlobs(100);
    const bytes = (n: number) => Buffer.alloc(n, n);
    cache.put('a', bytes(20));
    cache.put('b', bytes(20));
    cache.put('c', bytes(20));
    cache.put('d', bytes(20));
    cache.put('e', bytes(20));
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => cache.get(id)?.length)).toEqual([20, 20, 20, 20, 20]);
    cache.put('f', bytes(20)); // 120 > 100: the oldest goes
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('f')?.length).toBe(20);
    cache.delete('f');
    expect(cache.get('f')).toBeUndefined();
    cache.put('g', bytes(20)); // 80 + 20 = 100: room
    cache.put('h', bytes(20)); // 120: b, now the oldest, goes
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')?.length).toBe(20);
    cache.put('huge', bytes(30)); // over a quarter of the budget: never kept
    expect(cache.get('huge')).toBeUndefined();
  });
});
