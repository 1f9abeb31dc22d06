import { join } from 'node:path';
import { build } from 'esbuild';
import type { Router } from '../http-router.ts';
import type { ServerContext } from '../server-context.ts';

const BROWSER_ENTRY = join(import.meta.dirname, '..', '..', 'sdk', 'browser.ts');

/**
 * `GET /sdk/spaceport.js`: the client SDK as one ES module for browsers, bundled from the same
 * TypeScript on first request and kept in memory. A page can then
 * `import { SpaceportClient } from '/sdk/spaceport.js'` with no build step of its own.
 */
export function sdkRoutes(router: Router, ctx: ServerContext): void {
  let bundle: Promise<string> | undefined;
  const bundled = () =>
    (bundle ??= build({ entryPoints: [BROWSER_ENTRY], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, sourcemap: 'inline', logLevel: 'silent' })
      .then((out) => out.outputFiles[0]!.text)
      .catch((err: unknown) => {
        bundle = undefined; // try again on the next request
        ctx.log.error({ err }, 'bundling the browser SDK failed');
        throw err;
      }));

  router.on('GET', '/sdk/spaceport.js', async ({ res }) => {
    const text = await bundled();
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}
