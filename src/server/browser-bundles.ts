import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { BUILT } from '../runtime/module-file.ts';
import type { Logger } from './logger.ts';

/** The checkout's root (from src/server/) or the installed package's (from dist/server/). */
const ROOT = join(import.meta.dirname, '..', '..');

/** JavaScript the gateway serves to browsers, bundled by esbuild from the TypeScript in the checkout. */
export interface BrowserBundle {
  name: 'ui' | 'sdk';
  what: string;
  options: BuildOptions;
}

/** The web UI (ui/), split so the 3D viewer loads only when a result needs it. */
export const UI_BUNDLE: BrowserBundle = {
  name: 'ui',
  what: 'the web UI',
  options: { entryPoints: { main: join(ROOT, 'ui', 'src', 'main.ts') }, splitting: true, minify: true, sourcemap: 'linked' },
};

/** The client SDK as one ES module (`/sdk/spaceport.js`). */
export const SDK_BUNDLE: BrowserBundle = {
  name: 'sdk',
  what: 'the browser SDK',
  options: { entryPoints: { spaceport: join(ROOT, 'src', 'sdk', 'browser.ts') }, sourcemap: 'inline' },
};

/** The ui/ files served as they are (the page shell and the style sheet); the package keeps them with its bundle. */
export const UI_STATIC_FILES = ['index.html', 'style.css'];
export const uiStaticDir = (): string => (BUILT ? prebuiltDir('ui') : join(ROOT, 'ui'));

/** Where `npm run build` writes a bundle (dist/bundles/<name>); the package serves it from there. */
export function prebuiltDir(name: BrowserBundle['name'], distDir = join(import.meta.dirname, '..')): string {
  return join(distDir, 'bundles', name);
}

export function bundleOptions(bundle: BrowserBundle, outdir: string): BuildOptions {
  return { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent', ...bundle.options, outdir };
}

/**
 * A bundle's files by name. In a checkout: made in memory on first use and kept, so a gateway
 * that never serves a page never pays for bundling (a failed build is logged and tried again on
 * the next request). In the package: read once from what the build wrote.
 */
export function bundleFiles(bundle: BrowserBundle, log: Logger): () => Promise<Map<string, Uint8Array>> {
  let files: Promise<Map<string, Uint8Array>> | undefined;
  const load = async () => {
    if (BUILT) {
      const dir = prebuiltDir(bundle.name);
      const names = await readdir(dir);
      return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))] as const)));
    }
    const out = await build({ ...bundleOptions(bundle, `/${bundle.name}`), write: false });
    return new Map(out.outputFiles.map((f) => [basename(f.path), f.contents]));
  };
  return () =>
    (files ??= load().catch((err: unknown) => {
      files = undefined;
      log.error({ err }, `bundling ${bundle.what} failed`);
      throw err;
    }));
}
