// `npm run build` (and `npm pack`, through prepack): the npm package's dist/.
//   dist/**/*.js + .d.ts   src/ compiled by tsc (tsconfig.build.json), imports ending in .js
//   dist/bundles/ui        the web UI bundled by esbuild, with its page shell and style sheet
//   dist/bundles/sdk       the browser SDK as one module (/sdk/spaceport.js)
// A checkout runs src/ through its loader and bundles in memory; the package runs what is here.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { SDK_BUNDLE, UI_BUNDLE, UI_STATIC_FILES, bundleOptions, prebuiltDir } from '../src/server/browser-bundles.ts';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });

// tsc rewrites `./x.ts` to `./x.js` in the JavaScript it emits but not in declarations; a
// package's types must name files that exist.
for (const file of readdirSync(DIST, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts')) continue;
  const path = join(DIST, file);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
}

for (const bundle of [UI_BUNDLE, SDK_BUNDLE]) await build(bundleOptions(bundle, prebuiltDir(bundle.name, DIST)));
for (const name of UI_STATIC_FILES) copyFileSync(join(ROOT, 'ui', name), join(prebuiltDir('ui', DIST), name));
console.log(`built ${DIST}`);
