import { api } from './api.ts';
import { h, fill } from './dom.ts';
import { accountPage } from './pages/account.ts';
import { adminPage } from './pages/admin.ts';
import { homePage } from './pages/home.ts';
import { signInPage } from './pages/signin.ts';
import { spacePage } from './pages/space.ts';
import { resetIdentity, whoAmI } from './session.ts';

/** A page renders into `main` and returns what to stop when the visitor leaves it. */
export type Page = (main: HTMLElement, params: Record<string, string>) => Promise<(() => void) | void>;

const ROUTES: Array<[RegExp, Page]> = [
  [/^\/$/, homePage],
  [/^\/s\/(?<name>[^/]+)$/, spacePage],
  [/^\/signin$/, signInPage],
  [/^\/account$/, accountPage],
  [/^\/admin$/, adminPage],
];

let leave: (() => void) | void;

export async function navigate(path: string, push = true): Promise<void> {
  if (push) history.pushState(null, '', path);
  leave?.();
  const main = document.getElementById('app')!;
  await renderNav();
  for (const [pattern, page] of ROUTES) {
    const m = pattern.exec(location.pathname);
    if (!m) continue;
    fill(main);
    leave = await page(main, Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)])));
    main.focus({ preventScroll: true });
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
    me.kind === 'anonymous'
      ? h('a', { href: '/signin' }, 'Sign in')
      : h('a', { href: '/account' }, me.name),
    me.kind !== 'anonymous' &&
      h('button', {
        type: 'button',
        onclick: async () => {
          await api('POST', '/v1/auth/logout');
          resetIdentity();
          await navigate('/');
        },
      }, 'Sign out'),
  );
}

// Links inside the app navigate without a reload; the documented pages (/dashboard…) are real pages.
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest('a');
  if (!a || a.target || e.ctrlKey || e.metaKey || e.shiftKey || a.origin !== location.origin) return;
  if (!ROUTES.some(([p]) => p.test(a.pathname))) return;
  e.preventDefault();
  void navigate(a.pathname);
});
window.addEventListener('popstate', () => void navigate(location.pathname, false));
void navigate(location.pathname, false);
