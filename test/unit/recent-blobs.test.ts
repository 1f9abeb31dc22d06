import { describe, expect, it } from 'vitest';
import { RecentBlobs } from '../../src/engine/embedded/recent-blobs.ts';

describe('recent blobs kept in memory until first read', () => {
  const bytes = (n: number) => Buffer.alloc(n, n);

  it('hands a blob out once, then leaves the next read to the disk', () => {
    const cache = new RecentBlobs(100);
    cache.put('a', bytes(20));
    expect(cache.take('a')?.length).toBe(20);
    expect(cache.take('a')).toBeUndefined();
  });

  it('keeps unread blobs within the byte budget, dropping the oldest first, and forgets deleted ones', () => {
    const cache = new RecentBlobs(100);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) cache.put(id, bytes(20)); // 120 > 100: a goes
    cache.delete('f');
    cache.put('g', bytes(20)); // back to 100: room
    cache.put('h', bytes(20)); // 120: b, now the oldest, goes
    expect(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => cache.take(id)?.length ?? null)).toEqual([null, null, 20, 20, 20, null, 20, 20]);
    cache.put('huge', bytes(30)); // over a quarter of the budget: never kept
    expect(cache.take('huge')).toBeUndefined();
  });
});
