import { describe, expect, it } from 'vitest';
import { asPlainSubmit, ClientMessage } from '../../src/protocol/client-messages.ts';
import { MAX_JSON_DEPTH, OPTIONS_BOUNDS, RESULT_DATA_BOUNDS, jsonBoundsProblem, jsonSize } from '../../src/protocol/json-bounds.ts';
import { asStreamed, WorkerMessage } from '../../src/protocol/worker-messages.ts';

/** JSON text nested `depth` levels deep (built as text: JSON.stringify itself overflows on the deep ones). */
const nested = (depth: number, open = '{"a":', close = '}') => open.repeat(depth - 1) + '{}' + close.repeat(depth - 1);

describe('jsonBoundsProblem', () => {
  it('takes values up to the depth limit and refuses one level more', () => {
    expect(jsonBoundsProblem(JSON.parse(nested(MAX_JSON_DEPTH)), OPTIONS_BOUNDS)).toBeNull();
    expect(jsonBoundsProblem(JSON.parse(nested(MAX_JSON_DEPTH + 1)), OPTIONS_BOUNDS)).toMatch(/deeper than 32/);
    expect(jsonBoundsProblem(JSON.parse(nested(MAX_JSON_DEPTH + 1, '[', ']')), OPTIONS_BOUNDS)).toMatch(/deeper than 32/);
  });

  it('walks a value nested 100,000 levels deep without a stack of its own to overflow', () => {
    const hostile = JSON.parse(nested(100_000));
    expect(() => JSON.stringify(hostile)).toThrow(RangeError); // what reached the journal before
    expect(jsonBoundsProblem(hostile, OPTIONS_BOUNDS)).toMatch(/deeper/);
  });

  it('counts size as it goes: keys, strings and many small values', () => {
    expect(jsonBoundsProblem({ text: 'x'.repeat(60_000) }, OPTIONS_BOUNDS)).toBeNull();
    expect(jsonBoundsProblem({ text: 'x'.repeat(70_000) }, OPTIONS_BOUNDS)).toMatch(/larger than 65536/);
    expect(jsonBoundsProblem({ ['k'.repeat(70_000)]: 1 }, OPTIONS_BOUNDS)).toMatch(/larger/);
    expect(
      jsonBoundsProblem(
        Array.from({ length: 10_000 }, () => 1),
        OPTIONS_BOUNDS,
      ),
    ).toMatch(/larger/);
    expect(jsonBoundsProblem('x'.repeat(17 * 1024 * 1024), RESULT_DATA_BOUNDS)).toMatch(/larger/);
    expect(jsonBoundsProblem(42, RESULT_DATA_BOUNDS)).toBeNull();
  });
});

describe('the decoders refuse unbounded free-form values on their fast paths and their schemas alike', () => {
  const deep = JSON.parse(nested(40));
  it('a submit’s options', () => {
    const submit = { type: 'submit', space: 's', prompt: 'p', options: { deep } };
    expect(asPlainSubmit(submit)).toBeNull();
    const parsed = ClientMessage.safeParse(submit);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/deeper than 32/);
    expect(asPlainSubmit({ type: 'submit', space: 's', options: { shallow: { a: 1 } } })).not.toBeNull();
  });
  it('a worker’s result and partial data', () => {
    for (const type of ['result', 'partial']) {
      const message = { type, job: 'job_1', data: deep };
      expect(asStreamed(message)).toBeNull();
      expect(WorkerMessage.safeParse(message).success).toBe(false);
      expect(asStreamed({ type, job: 'job_1', data: { text: 'fine' } })).not.toBeNull();
    }
  });
});

describe('jsonSize', () => {
  it('counts as the bounds do, to the end and at any depth: what one job’s output budget is measured in', () => {
    expect(jsonSize('abc')).toBe(5);
    expect(jsonSize(7)).toBe(8);
    expect(jsonSize({ a: [1, 'xy'] })).toBe(2 + (1 + 1 + 3) + 2 + (1 + 8) + (1 + 4));
    const big = { text: 'x'.repeat(OPTIONS_BOUNDS.maxBytes) };
    expect(jsonSize(big)).toBeGreaterThan(OPTIONS_BOUNDS.maxBytes);
    expect(jsonBoundsProblem(big, OPTIONS_BOUNDS)).toMatch(/larger than/);
    expect(jsonSize(JSON.parse(nested(MAX_JSON_DEPTH + 10)))).toBe(2 + (MAX_JSON_DEPTH + 9) * (2 + 1 + 1 + 3));
  });
});
