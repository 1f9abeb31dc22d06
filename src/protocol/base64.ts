/**
 * Strict base64: the canonical form only (RFC 4648's alphabet, padded to a multiple of four, no
 * stray bits in the last group), so that what a client sent is exactly what the bytes re-encode
 * to. Node's decoder is lenient — it skips what it does not know and takes "abc" as two bytes —
 * so a value is checked here before it is decoded, and anything else is refused, not guessed at.
 */
const ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of `text` if it is canonical base64, else null. */
export function decodeStrictBase64(text: string): Buffer | null {
  if (text.length % 4 !== 0 || !ALPHABET.test(text)) return null;
  // Only the last group can carry stray bits (or padding): it must re-encode to itself.
  const last = text.slice(-4);
  if (last.length > 0 && Buffer.from(last, 'base64').toString('base64') !== last) return null;
  return Buffer.from(text, 'base64');
}
