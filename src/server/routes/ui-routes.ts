import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { SpaceportError } from '../../protocol/errors.ts';
import { sendHtml } from '../http-io.ts';
import type { Router } from '../http-router.ts';
import type { ServerContext } from '../server-context.ts';

const UI = join(import.meta.dirname, '..', '..', '..', 'ui');
/** The app's pages; each is the same shell, the script draws the page for the path. */
const PAGES = ['/', '/s/:name', '/signin', '/account', '/admin'];

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

/**
 * The web UI (ui/): bundled by esbuild when the gateway starts (in memory, split so the 3D viewer
 * loads only when a result needs it) and served under /ui/, with the page shell at each app path.
 */
export function uiRoutes(router: Router, ctx: ServerContext): void {
  const shell = readFileSync(join(UI, 'index.html'), 'utf8');
  const files = new Map<string, { type: string; body: Uint8Array }>([['style.css', { type: TYPES['.css']!, body: readFileSync(join(UI, 'style.css')) }]]);
  const built = build({
    entryPoints: { main: join(UI, 'src', 'main.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    outdir: '/ui',
    write: false,
    logLevel: 'silent',
  }).then(
    (out) => {
      for (const f of out.outputFiles) files.set(f.path.slice('/ui/'.length), { type: TYPES[f.path.slice(f.path.lastIndexOf('.'))] ?? 'application/octet-stream', body: f.contents });
    },
    (err: unknown) => ctx.log.error({ err }, 'building the web UI failed'),
  );

  for (const page of PAGES) router.on('GET', page, ({ res }) => sendHtml(res, shell));
  router.on('GET', '/ui/:file', async ({ res, params }) => {
    await built;
    const file = files.get(params.file!);
    if (!file) throw new SpaceportError('not_found', `No UI file ${params.file}.`);
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache' });
    res.end(file.body);
  });
}
