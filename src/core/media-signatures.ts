import { SpaceportError } from '../protocol/errors.ts';
import type { InputKind } from './types.ts';

type MediaKind = Exclude<InputKind, 'prompt' | 'files'>;

/** A container format recognised by its first bytes, the MIME type it is named by, and what it can hold. */
interface Format {
  name: string;
  mime: string;
  kinds: readonly MediaKind[];
}

const IMAGE = ['image'] as const;
const AUDIO = ['audio'] as const;
const AUDIO_VIDEO = ['audio', 'video'] as const;

const FORMAT = {
  png: { name: 'PNG', mime: 'image/png', kinds: IMAGE },
  jpeg: { name: 'JPEG', mime: 'image/jpeg', kinds: IMAGE },
  gif: { name: 'GIF', mime: 'image/gif', kinds: IMAGE },
  webp: { name: 'WebP', mime: 'image/webp', kinds: IMAGE },
  bmp: { name: 'BMP', mime: 'image/bmp', kinds: IMAGE },
  tiff: { name: 'TIFF', mime: 'image/tiff', kinds: IMAGE },
  svg: { name: 'SVG', mime: 'image/svg+xml', kinds: IMAGE },
  // ISO base media (MP4, MOV, M4A, HEIC, AVIF): the brand says which; all share the container.
  isobmff: { name: 'ISO base media (MP4)', mime: 'video/mp4', kinds: ['image', 'audio', 'video'] },
  wav: { name: 'WAV', mime: 'audio/wav', kinds: AUDIO },
  mp3: { name: 'MP3', mime: 'audio/mpeg', kinds: AUDIO },
  adts: { name: 'AAC (ADTS)', mime: 'audio/aac', kinds: AUDIO },
  flac: { name: 'FLAC', mime: 'audio/flac', kinds: AUDIO },
  ogg: { name: 'Ogg', mime: 'audio/ogg', kinds: AUDIO_VIDEO },
  ebml: { name: 'WebM/Matroska', mime: 'video/webm', kinds: AUDIO_VIDEO },
  avi: { name: 'AVI', mime: 'video/x-msvideo', kinds: ['video'] },
  mpegts: { name: 'MPEG transport stream', mime: 'video/mp2t', kinds: ['video'] },
  mpegps: { name: 'MPEG program stream', mime: 'video/mpeg', kinds: ['video'] },
} as const satisfies Record<string, Format>;

type FormatId = keyof typeof FORMAT;

/** The format of `bytes` by their signature, or null when none is recognised. */
export function sniffFormat(bytes: Uint8Array): FormatId | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024));
  const ascii = (from: number, to: number) => (b.length >= to ? b.toString('latin1', from, to) : '');
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF') {
    const type = ascii(8, 12);
    if (type === 'WEBP') return 'webp';
    if (type === 'WAVE') return 'wav';
    if (type === 'AVI ') return 'avi';
    return null;
  }
  if (ascii(0, 2) === 'BM' && b.length >= 14) return 'bmp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(4, 8) === 'ftyp') return 'isobmff';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'ebml';
  if (ascii(0, 3) === 'ID3') return 'mp3';
  if (b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0) {
    // An MPEG audio frame: layer bits 00 mark AAC's ADTS header instead.
    return (b[1]! & 0x06) === 0 ? 'adts' : 'mp3';
  }
  if (b.length >= 189 && b[0] === 0x47 && b[188] === 0x47) return 'mpegts';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x000001ba) return 'mpegps';
  if (/^(\uFEFF)?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(b.toString('utf8'))) return 'svg';
  return null;
}

/** The MIME types a client may declare for each format (aliases seen in the wild included). */
const DECLARED: Record<string, readonly FormatId[]> = {
  'image/png': ['png'],
  'image/apng': ['png'],
  'image/jpeg': ['jpeg'],
  'image/jpg': ['jpeg'],
  'image/pjpeg': ['jpeg'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'image/bmp': ['bmp'],
  'image/x-bmp': ['bmp'],
  'image/x-ms-bmp': ['bmp'],
  'image/tiff': ['tiff'],
  'image/svg+xml': ['svg'],
  'image/avif': ['isobmff'],
  'image/heic': ['isobmff'],
  'image/heif': ['isobmff'],
  'audio/wav': ['wav'],
  'audio/wave': ['wav'],
  'audio/x-wav': ['wav'],
  'audio/vnd.wave': ['wav'],
  'audio/mpeg': ['mp3'],
  'audio/mp3': ['mp3'],
  'audio/aac': ['adts', 'isobmff'],
  'audio/mp4': ['isobmff', 'adts'],
  'audio/m4a': ['isobmff'],
  'audio/x-m4a': ['isobmff'],
  'audio/flac': ['flac'],
  'audio/x-flac': ['flac'],
  'audio/ogg': ['ogg'],
  'audio/opus': ['ogg'],
  'audio/webm': ['ebml'],
  'video/mp4': ['isobmff'],
  'video/quicktime': ['isobmff'],
  'video/3gpp': ['isobmff'],
  'video/webm': ['ebml'],
  'video/x-matroska': ['ebml'],
  'video/ogg': ['ogg'],
  'video/x-msvideo': ['avi'],
  'video/avi': ['avi'],
  'video/mp2t': ['mpegts'],
  'video/mpeg': ['mpegps'],
};

/**
 * Why `bytes`, offered as `kind` input under the MIME type `declared`, are not what they say, or
 * null when they are: their signature must be a format of that kind, and one the declared type
 * names (a type not in the table: any format of the kind). A shell script sent as image/png, or a
 * JPEG sent as image/png, is refused before it reaches a worker that would trust the label.
 */
export function mediaMismatch(kind: MediaKind, declared: string, bytes: Uint8Array): string | null {
  const found = sniffFormat(bytes);
  if (found === null) return `its bytes are not a recognised ${kind} format`;
  const format: Format = FORMAT[found];
  if (!format.kinds.includes(kind)) return `its bytes are ${format.name}, not ${kind}`;
  const allowed = DECLARED[declared.toLowerCase()];
  if (allowed && !allowed.includes(found)) return `it is declared ${declared} but its bytes are ${format.name}`;
  return null;
}

/** The MIME type to call bytes of a recognised `kind` by (for dialects that receive bare base64), or null. */
export function mimeOfMedia(kind: MediaKind, bytes: Uint8Array): string | null {
  const found = sniffFormat(bytes);
  if (found === null) return null;
  const format: Format = FORMAT[found];
  if (!format.kinds.includes(kind)) return null;
  if (found === 'isobmff' && kind !== 'video') return kind === 'audio' ? 'audio/mp4' : 'image/heic';
  if ((found === 'ogg' || found === 'ebml') && kind === 'audio') return found === 'ogg' ? 'audio/ogg' : 'audio/webm';
  return format.mime;
}

/** Image, audio and video inputs must be what their MIME type says (`files` are taken as they are). */
export function checkMedia(kind: Exclude<InputKind, 'prompt'>, file: { name: string; mime: string; bytes: Uint8Array }): void {
  if (kind === 'files') return;
  const problem = mediaMismatch(kind, file.mime, file.bytes);
  if (problem) throw new SpaceportError('input_not_accepted', `${file.name} is not accepted as ${kind} input: ${problem}.`);
}
