import { describe, it } from 'vitest';
import { ClientMessage, asPlainSubmit } from '../../src/protocol/client-messages.ts';
import { expectSameAsSchema } from '../helpers/fast-path.ts';

describe('the fast path for a submit without files', () => {
  const submit = { type: 'submit', id: 1, space: 'echo', prompt: 'hi' };
  const cases: unknown[] = [
    submit,
    { type: 'submit', space: 'echo' },
    { ...submit, id: 'req-1' },
    { ...submit, id: 'r'.repeat(128) },
    { ...submit, id: 'r'.repeat(129) },
    { ...submit, id: null },
    { ...submit, id: true },
    { ...submit, space: '' },
    { ...submit, space: 's'.repeat(64) },
    { ...submit, space: 's'.repeat(65) },
    { ...submit, space: 3 },
    { ...submit, prompt: '' },
    { ...submit, prompt: 7 },
    { ...submit, prompt: null },
    { ...submit, options: { max_tokens: 5, nested: { a: [1] } } },
    { ...submit, options: {} },
    { ...submit, options: [] },
    { ...submit, options: null },
    { ...submit, options: 'x' },
    { ...submit, push_files: true },
    { ...submit, push_files: 'yes' },
    { ...submit, files: [] },
    { ...submit, files: [{ name: 'a.txt', mime: 'text/plain', data: 'aGk=' }] },
    { ...submit, extra: 1 },
    { type: 'cancel', id: 1, job: 'job_1' },
    { type: 'ping' },
    null,
    'submit',
    ['submit'],
  ];
  it('accepts exactly what the schema accepts of these, and passes everything else to it', () => {
    // A submit with files, or with a key the schema strips, is the schema's to decode.
    expectSameAsSchema(asPlainSubmit, ClientMessage, cases, (m) => m.type === 'submit' && !('files' in m));
  });
});
