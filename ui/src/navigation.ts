import { api } from './api.ts';
import { h, fill } from './dom.ts';
import { resetIdentity, whoAmI } from './session.ts';

/** A page renders into `main` and returns what to stop when the visitor leaves it. */
export type Page = (main: HTMLElement, params: Record<string, string>) => Promise<(() => void) | void>;

/** The app's pages by path; main.ts gives them, so this file (which pages import) knows none of them. */
let routes: ReadonlyArray<[RegExp, Page]> = [];
let leave: (() => void) | void;

export function setRoutes(table: ReadonlyArray<[RegExp, Page]>): void {
  routes = table;
}

/** Whether a path is one of the app's pages (else a real page of the gateway, loaded as such). */
export function isAppPath(pathname: string): boolean {
  return routes.some(([pattern]) => pattern.test(pathname));
}

export async function navigate(path: string, push = true): Promise<void> {
  if (push) history.pushState(null, '', path);
  leave?.();
  const main = document.getElementById('app')!;
  await renderNav();
  for (const [pattern, page] of routes) {
    const m = pattern.exec(location.pathname);
    if (!m) continue;
    fill(main);
    leave = await page(main, Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)])));
    // The new page's start, for screen readers — unless the visitor already moved into it (a page
    // shows its form before it has finished subscribing; taking focus back then would lose their typing).
    if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
    return;
  }
  fill(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '/' }, 'Back to the spaces')));
}

async function renderNav(): Promise<void> {
  const me = await whoAmI();
  const nav = document.getElementById('nav')!;
  fill(
    nav,
    h('a', { href: '/' }, 'Spaces'),
    me.kind === 'admin' && h('a', { href: '/admin' }, 'Admin'),
    h('a', { href: '/dashboard' }, 'Sessions'),
    me.kind === 'anonymous' ? h('a', { href: '/signin' }, 'Sign in') : h('a', { href: '/account' }, me.name),
    me.kind !== 'anonymous' &&
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            await api('POST', '/v1/auth/logout');
            resetIdentity();
            await navigate('/');
          },
        },
        'Sign out',
      ),
  );
}
