import { mimeOfMedia, sniffFormat } from '../core/media-signatures.ts';
import { decodeStrictBase64 } from '../protocol/base64.ts';

/** Image formats the documented dialects name (frames, reconstruction, lip-sync). */
const DIALECT_IMAGES: ReadonlySet<string> = new Set(['png', 'jpeg', 'webp', 'gif', 'bmp']);
/** Audio formats the lip-sync document names (WAV, MP3, M4A), and Ogg, FLAC and AAC besides. */
const DIALECT_AUDIO: ReadonlySet<string> = new Set(['wav', 'mp3', 'isobmff', 'ogg', 'flac', 'adts']);

/** The MIME type of an image by its first bytes, for dialects that receive bare base64. */
export function imageMime(bytes: Buffer): string | null {
  const format = sniffFormat(bytes);
  return format && DIALECT_IMAGES.has(format) ? mimeOfMedia('image', bytes) : null;
}

/** The MIME type of audio by its first bytes. */
export function audioMime(bytes: Buffer): string | null {
  const format = sniffFormat(bytes);
  return format && DIALECT_AUDIO.has(format) ? mimeOfMedia('audio', bytes) : null;
}

/**
 * Base64 as the dialects' clients send it: strict (protocol/base64.ts) once a data: URL prefix,
 * which browsers' FileReader produces, and line breaks, which MIME-style encoders insert, are set
 * aside.
 */
export function decodeBase64(text: string): Buffer | null {
  const body = text.startsWith('data:') ? text.slice(text.indexOf(',') + 1) : text;
  return decodeStrictBase64(/[\r\n]/.test(body) ? body.replace(/\r?\n/g, '') : body);
}
