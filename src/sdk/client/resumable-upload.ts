import { Backoff, sleep } from '../backoff.ts';
import { SpaceportError } from './types.ts';

export interface ResumableUploadOptions {
  /** Bytes per request; a cut loses at most what the gateway had not written of one. @default 8 MiB */
  chunkBytes?: number;
  /** Failures in a row (no byte got through) before giving up. @default 10 */
  retries?: number;
  /** Told after each request that moved the offset: bytes the gateway has, of `total`. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

export type UploadOptions = ResumableUploadOptions & { resumableFrom?: number };
export interface UploadedBlob {
  id: string;
  name: string;
  mime: string;
  size: number;
  url: string;
}

const TUS = { 'tus-resumable': '1.0.0' };

/**
 * Stores bytes as a blob (`client.upload`): files of `resumableFrom` bytes or more (8 MiB by
 * default) with tus, in parts that survive a dropped connection; smaller ones in one POST /v1/blobs.
 */
export async function uploadBlob(httpUrl: string, headers: Record<string, string>, data: Uint8Array | Blob, meta: { name: string; mime: string }, options: UploadOptions = {}): Promise<UploadedBlob> {
  const size = data instanceof Blob ? data.size : data.byteLength;
  if (size >= (options.resumableFrom ?? 8 * 1024 * 1024)) {
    const id = await resumableUpload(httpUrl, headers, data, meta, options);
    return { id, name: meta.name, mime: meta.mime, size, url: `/v1/blobs/${id}` };
  }
  const res = await fetch(`${httpUrl}/v1/blobs?name=${encodeURIComponent(meta.name)}`, { method: 'POST', headers: { 'content-type': meta.mime, ...headers }, body: data as Blob });
  if (!res.ok) throw await refusal(res);
  options.onProgress?.(size, size);
  return (await res.json()) as UploadedBlob;
}
const base64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

/**
 * Sends a file to the gateway with the tus protocol (`/v1/uploads`, docs/protocol.md): created
 * with its length, then sent in chunks from the offset the gateway has. When a request fails — the
 * connection dropped, the gateway restarted — it asks the gateway for its offset (HEAD) and goes on
 * from there, with backoff. Returns the blob id (the upload's id), for a submit's `{ blob }`.
 */
export async function resumableUpload(
  httpUrl: string,
  headers: Record<string, string>,
  data: Uint8Array | Blob,
  meta: { name: string; mime: string },
  options: ResumableUploadOptions = {},
): Promise<string> {
  const total = data instanceof Blob ? data.size : data.byteLength;
  const chunkBytes = options.chunkBytes ?? 8 * 1024 * 1024;
  const created = await fetch(`${httpUrl}/v1/uploads`, {
    method: 'POST',
    headers: { ...headers, ...TUS, 'upload-length': String(total), 'upload-metadata': `filename ${base64(meta.name)},filetype ${base64(meta.mime)}` },
    signal: options.signal ?? null,
  });
  if (created.status !== 201) throw await refusal(created);
  const location = new URL(created.headers.get('location')!, `${httpUrl}/`).href;
  const id = location.slice(location.lastIndexOf('/') + 1);

  /** What the gateway has of it: its offset, or all of it once it is a blob (the last answer was lost). */
  const offsetNow = async (): Promise<number> => {
    const res = await fetch(location, { method: 'HEAD', headers: { ...headers, ...TUS }, signal: options.signal ?? null });
    if (res.ok) return Number(res.headers.get('upload-offset'));
    if (res.status === 404 && (await fetch(`${httpUrl}/v1/blobs/${id}`, { method: 'HEAD', signal: options.signal ?? null })).ok) return total;
    throw await refusal(res);
  };

  let offset = 0;
  let failures = 0;
  const backoff = new Backoff(200, 5000);
  while (offset < total) {
    try {
      const chunk = data.slice(offset, Math.min(total, offset + chunkBytes));
      const res = await fetch(location, {
        method: 'PATCH',
        headers: { ...headers, ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
        body: chunk,
        signal: options.signal ?? null,
      });
      if (res.status === 409)
        offset = await offsetNow(); // the gateway has another offset than we thought
      else if (res.status === 204) offset = Number(res.headers.get('upload-offset'));
      else if (res.status >= 500 || res.status === 423) throw new Error(`HTTP ${res.status}`);
      else throw await refusal(res);
      failures = 0;
      backoff.reset();
      options.onProgress?.(offset, total);
    } catch (err) {
      if (err instanceof SpaceportError || options.signal?.aborted || ++failures > (options.retries ?? 10)) throw err;
      await sleep(backoff.next());
      offset = await offsetNow().catch(() => offset);
    }
  }
  return id;
}

async function refusal(res: Response): Promise<SpaceportError> {
  const text = await res.text().catch(() => '');
  let error: { code?: string; message?: string } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {}
  return new SpaceportError(error.code ?? (res.status === 413 ? 'input_too_large' : res.status === 429 ? 'quota_exceeded' : 'http_error'), error.message ?? (text.trim() || `HTTP ${res.status}`));
}
