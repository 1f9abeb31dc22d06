import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

/** One concept per file: a source file past this many lines is one to split by concern. */
const MAX_LINES = 400;
const ROOT = resolve(import.meta.dirname, '..', '..');

it(`keeps every source file of src/ and ui/src/ within ${MAX_LINES} lines`, () => {
  const files = ['src', 'ui/src'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => join(e.parentPath, e.name)),
  );
  expect(files.length).toBeGreaterThan(100);
  const long = files.map((f) => [relative(ROOT, f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > MAX_LINES);
  expect(long).toEqual([]);
});
