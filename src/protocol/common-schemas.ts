import { z } from 'zod';
import { INPUT_KINDS } from './vocabulary.ts';

export const RequestId = z.union([z.string().max(128), z.number()]).optional();
export const FileInputKind = z.enum(INPUT_KINDS.filter((k) => k !== 'prompt') as ['image', 'audio', 'video', 'files']);
export const Name = z.string().min(1).max(255);
/** The patterns are shared with the hand-written checks of hot messages (worker-messages.ts). */
export const MIME_PATTERN = /^[\w.+-]+\/[\w.+-]+$/;
export const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;
export const Mime = z.string().min(3).max(255).regex(MIME_PATTERN, 'expected a MIME type like image/png');
export const Base64 = z.string().regex(BASE64_PATTERN, 'expected base64');

/**
 * A file carried with a message, in one of three ways: inline base64 (`data`), a blob uploaded
 * earlier (`blob`), or a binary frame that follows the message (`binary: true`, see binary-frame.ts).
 */
export const FileSpec = z.union([
  z.object({ name: Name, mime: Mime, input: FileInputKind.optional(), data: Base64 }).strict(),
  z.object({ blob: z.string().min(1).max(64), name: Name.optional(), mime: Mime.optional(), input: FileInputKind.optional() }).strict(),
  z.object({ name: Name, mime: Mime, input: FileInputKind.optional(), binary: z.literal(true) }).strict(),
]);
export type FileSpec = z.infer<typeof FileSpec>;

export const JobId = z.string().min(1).max(64);
