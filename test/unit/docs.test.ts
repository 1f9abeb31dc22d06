import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOSE } from '../../src/protocol/close-codes.ts';
import { ERRORS } from '../../src/protocol/errors.ts';

const doc = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'docs', name), 'utf8');

describe('docs stay in step with the code', () => {
  it('lists every error code with its HTTP status in docs/errors.md', () => {
    const errors = doc('errors.md');
    for (const [code, e] of Object.entries(ERRORS)) expect(errors).toContain(`| \`${code}\` | ${e.status} |`);
  });
  it('lists every close code in docs/errors.md', () => {
    const errors = doc('errors.md');
    for (const code of Object.values(CLOSE)) expect(errors).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
});

describe('the web UI', () => {
  it('has plain words for every error code the gateway can send', async () => {
    const { EXPLAINED } = await import('../../ui/src/errors.ts');
    expect(Object.keys(ERRORS).filter((code) => !EXPLAINED.has(code))).toEqual([]);
  });
});
