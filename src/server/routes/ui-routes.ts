import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { UI_BUNDLE, bundleFiles, uiStaticDir } from '../browser-bundles.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { sendHtml } from '../http-io.ts';
import type { Router } from '../http-router.ts';
import type { ServerContext } from '../server-context.ts';

/** The app's pages; each is the same shell, the script draws the page for the path. */
const PAGES = ['/', '/s/:name', '/signin', '/account', '/admin'];

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

/**
 * The web UI (ui/): its bundle (src/server/browser-bundles.ts) served under /ui/, with the page
 * shell at each app path.
 */
export function uiRoutes(router: Router, ctx: ServerContext): (res: ServerResponse) => void {
  const shell = readFileSync(join(uiStaticDir(), 'index.html'), 'utf8');
  const css = readFileSync(join(uiStaticDir(), 'style.css'));
  // uPlot's own stylesheet (the charts' layers and legend), served as the package ships it.
  const chartCss = readFileSync(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'));
  const bundled = bundleFiles(UI_BUNDLE, ctx.log);
  for (const page of PAGES) router.on('GET', page, ({ res }) => sendHtml(res, shell));
  router.on('GET', '/ui/:file', async ({ res, params }) => {
    const name = params.file!;
    const body = name === 'style.css' ? css : name === 'uplot.css' ? chartCss : (await bundled()).get(name);
    if (!body) throw new SpaceportError('not_found', `No UI file ${name}.`);
    res.writeHead(200, {
      'content-type': TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-cache',
    });
    res.end(body);
  });
  // A browser that asked for a page that is not there gets the app, which says so with its header
  // and a way back; the status stays 404.
  return (res) => sendHtml(res, shell, 404);
}

/** A browser asking for a page (HTML before JSON in its Accept), not an API client. */
export function wantsPage(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return req.method === 'GET' && html >= 0 && (json < 0 || html < json);
}
