import { newId } from '../core/ids.ts';
import type { SubmittedFile } from '../core/job-service.ts';
import { inputKindOf } from '../core/space-rules.ts';
import type { StoredFile } from '../core/types.ts';
import type { Engine } from '../core/engine-port.ts';
import type { FileSpec } from '../protocol/common-schemas.ts';
import { decodeStrictBase64 } from '../protocol/base64.ts';
import { SpaceportError } from '../protocol/errors.ts';

type AnyFileSpec = FileSpec | { name: string; mime: string; data: string } | { name: string; mime: string; binary: true };

/** Indexes of the files that arrive as binary frames after their message. */
export function binaryIndexes(specs: readonly AnyFileSpec[]): number[] {
  return specs.flatMap((s, i) => ('binary' in s ? [i] : []));
}

function decodeInline(spec: { name: string; data: string }, maxBytes: number): Buffer {
  // base64 is 4 chars per 3 bytes: reject before allocating when it cannot fit.
  if (spec.data.length * 0.75 > maxBytes + 2) throw new SpaceportError('input_too_large', `${spec.name} is larger than ${maxBytes} bytes.`);
  const bytes = decodeStrictBase64(spec.data);
  if (!bytes) throw new SpaceportError('invalid_message', `${spec.name}: data is not canonical base64 (padded, RFC 4648 alphabet).`);
  return bytes;
}

/** Client file specs (+ the binary parts that arrived) → what the job service takes. */
export function toSubmittedFiles(specs: readonly FileSpec[], parts: ReadonlyArray<Buffer | undefined>, maxBytes: number): SubmittedFile[] {
  return specs.map((spec, i) => {
    if ('blob' in spec) return spec;
    const bytes = 'data' in spec ? decodeInline(spec, maxBytes) : parts[i];
    if (!bytes) throw new SpaceportError('incomplete_upload', `Binary part ${i} did not arrive.`);
    return { name: spec.name, mime: spec.mime, input: spec.input, bytes };
  });
}

/**
 * A worker's result or partial files (+ binary parts) → blobs owned by the job, each stored by
 * `put`: the engine's putBlob for a result (kept), putLiveBlob for a partial (live media).
 */
export async function storeWorkerFiles(
  put: Engine['putBlob'],
  jobId: string,
  specs: ReadonlyArray<{ name: string; mime: string; data: string } | { name: string; mime: string; binary: true }>,
  parts: ReadonlyArray<Buffer | undefined>,
  maxBytes: number,
): Promise<StoredFile[]> {
  const stored: StoredFile[] = [];
  for (const [i, spec] of specs.entries()) {
    const bytes = 'data' in spec ? decodeInline(spec, maxBytes) : parts[i];
    if (!bytes) throw new SpaceportError('incomplete_upload', `Binary part ${i} did not arrive.`);
    const blob = newId('blob');
    await put({ id: blob, name: spec.name, mime: spec.mime, size: bytes.length, created_at: Date.now(), job_id: jobId }, bytes);
    stored.push({ blob, name: spec.name, mime: spec.mime, size: bytes.length, input: inputKindOf(spec.mime) });
  }
  return stored;
}
