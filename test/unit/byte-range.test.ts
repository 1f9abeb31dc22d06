import { describe, expect, it } from 'vitest';
import { requestedRange } from '../../src/server/byte-range.ts';

describe('requestedRange (Range: bytes=…)', () => {
  it('reads a closed, an open and a suffix range, clamped to the size', () => {
    expect(requestedRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(requestedRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(requestedRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(requestedRange('bytes=990-2000', 1000)).toEqual({ start: 990, end: 999 });
    expect(requestedRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('says unsatisfiable for a range past the end, and sends the whole for anything it does not take', () => {
    expect(requestedRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(requestedRange('bytes=-0', 1000)).toBe('unsatisfiable');
    for (const header of [undefined, '', 'bytes=-', 'items=0-1', 'bytes=5-2', 'bytes=0-1,5-9', 'bytes=a-b']) expect(requestedRange(header, 1000)).toBeNull();
  });
});
