import { join } from 'node:path';

/**
 * True in the built package (dist/*.js, compiled by `npm run build`), false in a checkout, where
 * the TypeScript runs through our loader (register.mjs). The few places that name a module file to
 * run or bundle ask this instead of assuming `.ts`.
 */
export const BUILT = import.meta.url.endsWith('.js');

const LOADER = join(import.meta.dirname, 'register.mjs');

/** `dir/name.ts` in a checkout, `dir/name.js` in the package. */
export function moduleFile(dir: string, ...path: string[]): string {
  return `${join(dir, ...path)}${BUILT ? '.js' : '.ts'}`;
}

/** Node's arguments to run a module file as its own process: through the loader in a checkout. */
export function nodeArgsFor(file: string): string[] {
  return BUILT ? [file] : ['--import', LOADER, file];
}
