import { SpaceportError } from '../protocol/errors.ts';
import type { Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import { newId } from './ids.ts';
import { checkMedia } from './media-signatures.ts';
import { checkInputs, inputKindOf } from './space-rules.ts';
import type { InputKind, Space, StoredFile } from './types.ts';

/** A file offered with a submit: bytes that arrived with it, or a blob uploaded earlier. */
export type SubmittedFile =
  | { name: string; mime: string; input?: Exclude<InputKind, 'prompt'> | undefined; bytes: Buffer }
  | { blob: string; name?: string | undefined; mime?: string | undefined; input?: Exclude<InputKind, 'prompt'> | undefined };

/** A submit with no files: only the prompt is checked against the space. */
export const noFiles = (space: Space, prompt: string | undefined): StoredFile[] => {
  checkInputs(space, prompt, []);
  return [];
};

/**
 * Checks every input against the space — kind, MIME type and size, then that media are what
 * they are declared to be (by their bytes) — and stores inline bytes as blobs owned by the job.
 */
export async function resolveFiles(engine: Engine, clock: Clock, space: Space, req: { prompt?: string | undefined; files: SubmittedFile[] }, jobId: string): Promise<StoredFile[]> {
  const described = await Promise.all(
    req.files.map(async (f) => {
      if ('bytes' in f) return { ...f, size: f.bytes.length, blob: undefined };
      const blob = await engine.getBlob(f.blob);
      if (!blob) throw new SpaceportError('blob_not_found', `No blob has id "${f.blob}".`);
      return { name: f.name ?? blob.meta.name, mime: f.mime ?? blob.meta.mime, input: f.input, size: blob.meta.size, blob: f.blob, bytes: blob.bytes };
    }),
  );
  checkInputs(space, req.prompt, described);
  for (const f of described) checkMedia(f.input ?? inputKindOf(f.mime), f);
  const stored: StoredFile[] = [];
  for (const f of described) {
    const input = f.input ?? inputKindOf(f.mime);
    let blob = f.blob;
    if (blob === undefined) {
      blob = newId('blob');
      await engine.putBlob({ id: blob, name: f.name, mime: f.mime, size: f.size, created_at: clock.now(), job_id: jobId }, f.bytes);
    }
    stored.push({ blob: blob!, name: f.name, mime: f.mime, size: f.size, input });
  }
  return stored;
}
