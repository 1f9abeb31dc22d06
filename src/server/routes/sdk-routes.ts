import { join } from 'node:path';
import type { Router } from '../http-router.ts';
import { lazyBundle } from '../lazy-bundle.ts';
import type { ServerContext } from '../server-context.ts';

const BROWSER_ENTRY = join(import.meta.dirname, '..', '..', 'sdk', 'browser.ts');

/**
 * `GET /sdk/spaceport.js`: the client SDK as one ES module for browsers, bundled from the same
 * TypeScript on first request and kept in memory. A page can then
 * `import { SpaceportClient } from '/sdk/spaceport.js'` with no build step of its own.
 */
export function sdkRoutes(router: Router, ctx: ServerContext): void {
  const bundled = lazyBundle({ entryPoints: [BROWSER_ENTRY], sourcemap: 'inline' }, 'the browser SDK', ctx.log);

  router.on('GET', '/sdk/spaceport.js', async ({ res }) => {
    const text = (await bundled())[0]!.text;
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}
