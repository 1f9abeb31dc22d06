import { isAppPath, navigate, setRoutes } from './navigation.ts';
import { accountPage } from './pages/account.ts';
import { adminPage } from './pages/admin.ts';
import { homePage } from './pages/home.ts';
import { signInPage } from './pages/signin.ts';
import { spacePage } from './pages/space.ts';

setRoutes([
  [/^\/$/, homePage],
  [/^\/s\/(?<name>[^/]+)$/, spacePage],
  [/^\/signin$/, signInPage],
  [/^\/account$/, accountPage],
  [/^\/admin$/, adminPage],
]);

// Links inside the app navigate without a reload; the documented pages (/dashboard…) are real pages.
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest('a');
  if (!a || a.target || e.ctrlKey || e.metaKey || e.shiftKey || a.origin !== location.origin) return;
  if (!isAppPath(a.pathname)) return;
  e.preventDefault();
  void navigate(a.pathname);
});
window.addEventListener('popstate', () => void navigate(location.pathname, false));
void navigate(location.pathname, false);
