import { describe, expect, it } from 'vitest';
import { eventLine, tokenTextLiteral } from '../../src/protocol/job-events.ts';
import { WorkerMessage, asStreamed } from '../../src/protocol/worker-messages.ts';
import { expectSameAsSchema } from '../helpers/fast-path.ts';

describe('the fast path for what workers stream', () => {
  const bin = { name: 'f.png', mime: 'image/png', binary: true };
  const inline = { name: 'a.txt', mime: 'text/plain', data: 'aGk=' };
  const cases: unknown[] = [
    { type: 'token', job: 'job_1', text: 'hi' },
    { type: 'token', job: 'job_1', text: '' },
    { type: 'token', job: '', text: 'x' },
    { type: 'token', job: 'j'.repeat(64), text: 'x' },
    { type: 'token', job: 'j'.repeat(65), text: 'x' },
    { type: 'token', job: 'job_1', text: 5 },
    { type: 'token', job: 'job_1' },
    { type: 'token', job: 'job_1', text: 'x', extra: true },
    { type: 'token', job: 7, text: 'x' },
    { type: 'started', job: 'job_1' },
    { type: 'started', job: 'job_1', extra: 1 },
    { type: 'started' },
    { type: 'progress', job: 'job_1', progress: 0.5 },
    { type: 'progress', job: 'job_1', progress: 0 },
    { type: 'progress', job: 'job_1', progress: 1, message: 'almost' },
    { type: 'progress', job: 'job_1', progress: 1.5 },
    { type: 'progress', job: 'job_1', progress: -0.1 },
    { type: 'progress', job: 'job_1', progress: '0.5' },
    { type: 'progress', job: 'job_1', progress: 0.5, message: 'm'.repeat(1025) },
    { type: 'progress', job: 'job_1', progress: 0.5, message: 3 },
    { type: 'partial', job: 'job_1', files: [bin] },
    { type: 'partial', job: 'job_1', data: { frame: 3 } },
    { type: 'partial', job: 'job_1', data: null, files: [bin, inline] },
    { type: 'partial', job: 'job_1', files: [] },
    { type: 'partial', job: 'job_1', files: Array(33).fill(bin) },
    { type: 'partial', job: 'job_1', files: Array(32).fill(bin) },
    { type: 'partial', job: 'job_1', files: [{ ...bin, binary: false }] },
    { type: 'partial', job: 'job_1', files: [{ ...bin, data: 'aGk=' }] },
    { type: 'partial', job: 'job_1', files: [{ ...bin, mime: 'png' }] },
    { type: 'partial', job: 'job_1', files: [{ ...bin, mime: 'image/png; x' }] },
    { type: 'partial', job: 'job_1', files: [{ ...bin, name: '' }] },
    { type: 'partial', job: 'job_1', files: [{ ...bin, name: 'n'.repeat(256) }] },
    { type: 'partial', job: 'job_1', files: [{ ...inline, data: 'not base64!' }] },
    { type: 'partial', job: 'job_1', files: [{ ...inline, extra: 1 }] },
    { type: 'partial', job: 'job_1', files: [null] },
    { type: 'partial', job: 'job_1', files: bin },
    { type: 'partial', job: 'job_1', files: [bin], extra: 1 },
    { type: 'result', job: 'job_1' },
    { type: 'result', job: 'job_1', data: 'text', files: [inline] },
    { type: 'result', job: '', data: 'text' },
    { type: 'error', job: 'job_1', message: 'no' },
    { type: 'heartbeat' },
    null,
    'token',
    ['token'],
  ];
  it('accepts exactly what the schema accepts of these kinds, and passes everything else to it', () => {
    // The schema allows unknown keys (it strips them); the fast path leaves those to it.
    expectSameAsSchema(asStreamed, WorkerMessage, cases, (m) => ['token', 'started', 'progress', 'partial', 'result'].includes(m.type));
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
