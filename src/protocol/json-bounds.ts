import { z } from 'zod';

/**
 * Bounds on the free-form JSON a client or worker may send (a submit's `options`, a result's or
 * partial's `data`, a REST body). A value that passed JSON.parse can still be one nobody else can
 * handle: nested a few thousand levels deep it parses, but JSON.stringify and every recursive walk
 * after it overflow the stack — in the job journal, that failed the commit of every job beside it.
 * So depth and size are checked at the edge, before anything is stored, and refused with the
 * protocol's "invalid message" error.
 */
export interface JsonBounds {
  /** Objects and arrays inside each other, the value itself counted as one. */
  maxDepth: number;
  /** Its size as JSON, counted on the way (strings by their length, numbers as 8). */
  maxBytes: number;
}

/** Deeper than any honest option or result needs; far below what overflows a stack. */
export const MAX_JSON_DEPTH = 32;

/** A submit's `options`, and any other small free-form field a client sends. */
export const OPTIONS_BOUNDS: JsonBounds = { maxDepth: MAX_JSON_DEPTH, maxBytes: 64 * 1024 };

/** A worker's `data` in a result or partial (files travel apart from it). */
export const RESULT_DATA_BOUNDS: JsonBounds = { maxDepth: MAX_JSON_DEPTH, maxBytes: 16 * 1024 * 1024 };

/** A whole REST body: only its depth (its bytes are bounded as it is read). */
export const BODY_BOUNDS: JsonBounds = { maxDepth: MAX_JSON_DEPTH, maxBytes: Number.POSITIVE_INFINITY };

/**
 * What is wrong with `value` under `bounds`, in words, or null when it is within them. Walks with
 * its own stack (never recursion, which is what a hostile value would exhaust) and stops at the
 * first bound crossed, so the work done is bounded by the bounds, not by the value.
 */
export function jsonBoundsProblem(value: unknown, bounds: JsonBounds): string | null {
  const size = measure(value, bounds);
  if (size === TOO_DEEP) return `nested deeper than ${bounds.maxDepth} levels`;
  return size > bounds.maxBytes ? tooLarge(bounds) : null;
}

/** `value`'s size as JSON, counted as the bounds count it, to the end (for a value the edge already took). */
export const jsonSize = (value: unknown): number => measure(value, UNBOUNDED);

const UNBOUNDED: JsonBounds = { maxDepth: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY };

const TOO_DEEP = -1;

/** The size as JSON, counted until past `maxBytes`; TOO_DEEP at the first container past `maxDepth`. */
function measure(value: unknown, bounds: JsonBounds): number {
  if (typeof value !== 'object' || value === null) return sizeOf(value);
  let bytes = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.depth > bounds.maxDepth) return TOO_DEEP;
    const entries = Array.isArray(top.value) ? top.value : Object.entries(top.value as object);
    bytes += 2;
    for (const entry of entries) {
      const [key, item] = Array.isArray(top.value) ? [null, entry] : (entry as [string, unknown]);
      bytes += 1 + (key === null ? 0 : key.length + 3);
      if (typeof item === 'object' && item !== null) stack.push({ value: item, depth: top.depth + 1 });
      else bytes += sizeOf(item);
    }
    if (bytes > bounds.maxBytes) return bytes;
  }
  return bytes;
}

const sizeOf = (v: unknown): number => (typeof v === 'string' ? v.length + 2 : 8);
const tooLarge = (bounds: JsonBounds) => `larger than ${bounds.maxBytes} bytes of JSON`;

/** A schema for a free-form value within `bounds` (its error message says which bound). */
export const boundedJson = <T extends z.ZodType>(schema: T, bounds: JsonBounds) =>
  schema.superRefine((value, ctx) => {
    const problem = jsonBoundsProblem(value, bounds);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A submit's options: a JSON object within OPTIONS_BOUNDS. */
export const Options = boundedJson(z.record(z.string(), z.unknown()), OPTIONS_BOUNDS);
/** A worker's result or partial data: any JSON within RESULT_DATA_BOUNDS. */
export const ResultData = boundedJson(z.unknown(), RESULT_DATA_BOUNDS);
