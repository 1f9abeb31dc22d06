import { SDK_BUNDLE, bundleFiles } from '../browser-bundles.ts';
import type { Router } from '../http-router.ts';
import type { ServerContext } from '../server-context.ts';

/**
 * `GET /sdk/spaceport.js`: the client SDK as one ES module for browsers, bundled from the same
 * TypeScript (src/server/browser-bundles.ts). A page can then
 * `import { SpaceportClient } from '/sdk/spaceport.js'` with no build step of its own.
 */
export function sdkRoutes(router: Router, ctx: ServerContext): void {
  const bundled = bundleFiles(SDK_BUNDLE, ctx.log);

  router.on('GET', '/sdk/spaceport.js', async ({ res }) => {
    const body = (await bundled()).get('spaceport.js')!;
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', 'content-length': body.length });
    res.end(body);
  });
}
