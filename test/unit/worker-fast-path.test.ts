import { describe, expect, it } from 'vitest';
import { eventLine, tokenTextLiteral } from '../../src/core/job-events.ts';
import { WorkerMessage, asToken } from '../../src/protocol/worker-messages.ts';

describe('the token fast path', () => {
  const cases: unknown[] = [
    { type: 'token', job: 'job_1', text: 'hi' },
    { type: 'token', job: 'job_1', text: '' },
    { type: 'token', job: '', text: 'x' },
    { type: 'token', job: 'j'.repeat(65), text: 'x' },
    { type: 'token', job: 'job_1', text: 5 },
    { type: 'token', job: 'job_1' },
    { type: 'token', job: 'job_1', text: 'x', extra: true },
    { type: 'progress', job: 'job_1', progress: 0.5 },
    null,
    'token',
    ['token'],
  ];
  it('accepts exactly what the schema accepts as a token, and passes everything else to it', () => {
    for (const value of cases) {
      const fast = asToken(value);
      const full = WorkerMessage.safeParse(value);
      if (fast) expect(full.success && full.data).toEqual(fast);
      // The schema allows unknown keys (it strips them); the fast path leaves those to it.
      if (full.success && full.data.type === 'token' && Object.keys(value as object).length === 3) expect(fast).not.toBeNull();
    }
  });
});

describe('a token line re-wrapped by a dialect without a parse', () => {
  it('reads back exactly the text the worker sent, whatever it contains', () => {
    const texts = ['hi', '', ' "quoted" ', 'back\\slash', 'line\nbreak', '"text":"decoy"}', 'émoji 🚀', '\u0000\u001f', '}'];
    for (const text of texts) {
      const line = eventLine('job_abc', 42, { type: 'token', text });
      expect(JSON.parse(tokenTextLiteral(line))).toBe(text);
    }
  });
});
