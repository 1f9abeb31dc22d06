import { SpaceportError } from '../protocol/errors.ts';
import { optionsProblem } from '../protocol/options-schema.ts';
import type { Identity, InputKind, Space } from './types.ts';

export const SPACE_DEFAULTS = {
  timeout_s: 120,
  max_queue: 1000,
  max_attempts: 3,
  access: 'public',
  retry_delay_ms: 1000,
  retry_max_delay_ms: 60_000,
} as const;

/**
 * How long a job the worker failed with a retryable error waits before its next attempt (docs/queue.md):
 * the space's base delay doubled for each attempt made, capped, with equal jitter (half of it
 * random), so jobs that failed together do not all come back at once.
 */
export function retryDelayMs(space: Pick<Space, 'retry_delay_ms' | 'retry_max_delay_ms'>, attempt: number, random = Math.random): number {
  const base = space.retry_delay_ms ?? SPACE_DEFAULTS.retry_delay_ms;
  const capped = Math.min(space.retry_max_delay_ms ?? SPACE_DEFAULTS.retry_max_delay_ms, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(capped / 2 + (random() * capped) / 2);
}

/** Default size caps per input kind, used when an admin enables a kind without giving one. */
export const DEFAULT_MAX_BYTES: Record<InputKind, number> = {
  prompt: 64 * 1024,
  image: 10 * 1024 * 1024,
  audio: 25 * 1024 * 1024,
  video: 100 * 1024 * 1024,
  files: 25 * 1024 * 1024,
};

/** The input kind a file counts as when the caller does not say: by the top level of its MIME type. */
export function inputKindOf(mime: string): Exclude<InputKind, 'prompt'> {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  return 'files';
}

function mimeAllowed(patterns: string[], mime: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => (p.endsWith('/*') ? mime.startsWith(p.slice(0, -1)) : p === mime));
}

export interface FileToCheck {
  name: string;
  mime: string;
  size: number;
  input?: Exclude<InputKind, 'prompt'> | undefined;
}

/** Throws the documented error for the first input the space does not accept. */
export function checkInputs(space: Space, prompt: string | undefined, files: FileToCheck[]): void {
  if (prompt !== undefined) {
    const rule = space.inputs.prompt;
    if (!rule) throw new SpaceportError('input_not_accepted', `Space "${space.name}" does not accept a prompt.`);
    const bytes = Buffer.byteLength(prompt);
    if (bytes > rule.max_bytes) {
      throw new SpaceportError('input_too_large', `The prompt is ${bytes} bytes; space "${space.name}" allows ${rule.max_bytes}.`);
    }
  }
  for (const file of files) {
    const kind = file.input ?? inputKindOf(file.mime);
    const rule = space.inputs[kind];
    if (!rule) throw new SpaceportError('input_not_accepted', `Space "${space.name}" does not accept ${kind} input (${file.name}).`);
    if (!mimeAllowed(rule.mime, file.mime)) {
      throw new SpaceportError('mime_not_allowed', `Space "${space.name}" does not accept ${file.mime} for ${kind} (allowed: ${rule.mime.join(', ')}).`);
    }
    if (file.size > rule.max_bytes) {
      throw new SpaceportError('input_too_large', `${file.name} is ${file.size} bytes; space "${space.name}" allows ${rule.max_bytes} for ${kind}.`);
    }
  }
}

/** Throws invalid_options when the space declares an options schema and the job's options break it. */
export function checkOptions(space: Space, options: Record<string, unknown> | undefined): void {
  const problem = space.options_schema ? optionsProblem(space.options_schema, options) : null;
  if (problem) throw new SpaceportError('invalid_options', `${problem} (space "${space.name}").`);
}

/** Whether `who` may submit to (and follow) jobs of this space. */
export function maySubmit(space: Space, who: Identity): boolean {
  return space.access === 'public' || who.kind !== 'anonymous';
}
