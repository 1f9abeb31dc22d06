import { build, type BuildOptions, type OutputFile } from 'esbuild';
import type { Logger } from './logger.ts';

/**
 * An esbuild bundle made in memory on first use and kept, so a gateway that never serves a page
 * never pays for bundling. A failed build is logged and tried again on the next request.
 */
export function lazyBundle(options: BuildOptions, what: string, log: Logger): () => Promise<OutputFile[]> {
  let bundle: Promise<OutputFile[]> | undefined;
  return () =>
    (bundle ??= build({ bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent', ...options, write: false })
      .then((out) => out.outputFiles)
      .catch((err: unknown) => {
        bundle = undefined;
        log.error({ err }, `bundling ${what} failed`);
        throw err;
      }));
}
