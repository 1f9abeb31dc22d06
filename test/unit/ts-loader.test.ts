import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const REGISTER = join(import.meta.dirname, '../../src/runtime/register.mjs');
const dir = mkdtempSync(join(tmpdir(), 'spaceport-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the TypeScript loader (src/runtime)', () => {
  it('runs a .ts file with its types stripped, and an error thrown in it names the .ts file, line and column', async () => {
    const file = join(dir, 'thrower.ts');
    // Types and blank lines before the throw: the transformed JavaScript has it on another line.
    writeFileSync(
      file,
      [
        'interface Box {',
        '  size: number;',
        '}',
        '',
        'const box: Box = { size: 3 };',
        '',
        'function open(b: Box): never {',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the file written holds a template literal
        '  throw new Error(`box of ${b.size}`);',
        '}',
        'open(box);',
        '',
      ].join('\n'),
    );
    const failed = await promisify(execFile)(process.execPath, ['--import', REGISTER, file]).then(
      () => null,
      (err: { stderr: string }) => err,
    );
    expect(failed).not.toBeNull();
    expect(failed!.stderr).toContain('Error: box of 3');
    expect(failed!.stderr).toContain(`at open (${file}:8:9)`);
    expect(failed!.stderr).toContain(`${file}:10:1`);
  });
});
