import { sendHtml } from '../../server/http-io.ts';
import type { Router } from '../../server/http-router.ts';
import { TOKEN_STREAM_PAGE } from './page.ts';

export function tokenStreamRoutes(router: Router): void {
  router.on('GET', '/', ({ res }) => sendHtml(res, TOKEN_STREAM_PAGE));
}
