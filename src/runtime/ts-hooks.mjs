// Module hooks that compile each .ts file with esbuild as it is loaded (types stripped, nothing
// bundled). tsx does the same but always asks esbuild to keep function names, which wraps every
// function the program creates in a call that gives it its own property store: ~250 bytes of heap
// per closure and a defineProperty per creation, on every connection and every hot path. We want
// neither, and need nothing else tsx offers (our imports name their .ts files).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

// The compiler options that change the emitted JavaScript, as tsconfig.json sets them.
const TSCONFIG = { compilerOptions: { target: 'ES2022', verbatimModuleSyntax: true, useDefineForClassFields: true } };

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const { code } = await transform(await readFile(path, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    // Maps for stack traces only: without the TypeScript text inside, each module's source and
    // Node's source-map cache hold ~1 MB less of a gateway's heap (the files are on disk).
    sourcesContent: false,
    sourcefile: path,
    tsconfigRaw: TSCONFIG,
  });
  return { format: 'module', source: code, shortCircuit: true };
}
