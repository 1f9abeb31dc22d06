import type { OptionsSchema } from '../../src/protocol/options-schema.ts';
import type { Example, OutputKind } from '../../src/protocol/space-presentation.ts';

/** The REST side of the public protocol (docs/protocol.md), with the browser's own cookie. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(data?.error?.code ?? 'http_error', data?.error?.message ?? `HTTP ${res.status}`, res.status);
  return data as T;
}

export interface Me {
  kind: 'admin' | 'user' | 'key' | 'anonymous';
  name: string;
  user: { username: string; role: string } | null;
}

export interface SpaceInfo {
  space: string;
  description: string;
  inputs: Partial<Record<'prompt' | 'image' | 'audio' | 'video' | 'files', { max_bytes: number; mime: string[] }>>;
  access: 'public' | 'users';
  connected: boolean;
  workers: number;
  slots: number;
  free_slots: number;
  queue_length: number;
  /** How the space presents itself (docs/spaces.md#presentation), where declared. */
  output?: OutputKind;
  options_schema?: OptionsSchema;
  examples?: Example[];
}
