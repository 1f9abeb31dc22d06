import type { Router } from '../../server/http-router.ts';
import { TOKEN_STREAM_PAGE } from './page.ts';

export function tokenStreamRoutes(router: Router): void {
  router.on('GET', '/', ({ res }) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(TOKEN_STREAM_PAGE) });
    res.end(TOKEN_STREAM_PAGE);
  });
}
