/** A byte range of a resource, both ends included (RFC 9110 §14). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The range a `Range` header asks for, within `size` bytes: null to send the whole (no header, a
 * unit other than bytes, several ranges — a video player asks for one at a time — or one that is
 * malformed), 'unsatisfiable' when it starts past the end (416).
 */
export function requestedRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    // A suffix: the last N bytes.
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}
