import { api, ApiError } from '../api.ts';
import { h, fill, listTable } from '../dom.ts';
import { explain } from '../errors.ts';
import { navigate, type Page } from '../navigation.ts';
import { whoAmI } from '../session.ts';

/** Your account: who you are and your API keys for scripts (shown once, revocable). */
export const accountPage: Page = async (main) => {
  const me = await whoAmI();
  if (me.kind === 'anonymous') return void (await navigate('/signin?next=/account'));
  const keys = h('div', { id: 'keys' });
  const shown = h('div', { id: 'new-key' });
  const name = h('input', { type: 'text', id: 'key-name', placeholder: 'e.g. laptop' });
  const refresh = async () => {
    if (!me.user) return fill(keys, h('p', { class: 'muted' }, 'You are signed in with a token, not an account: API keys belong to accounts.'));
    const { keys: list } = await api<{ keys: Array<{ id: string; name: string; hint: string; created_at: string }> }>('GET', '/v1/me/api-keys');
    fill(
      keys,
      listTable(list, 'No keys.', (k) =>
        h(
          'tr',
          {},
          h('td', {}, k.name),
          h('td', {}, h('code', {}, `${k.hint}…`)),
          h('td', {}, new Date(k.created_at).toLocaleDateString()),
          h('td', {}, h('button', { type: 'button', onclick: async () => (await api('DELETE', `/v1/me/api-keys/${k.id}`), refresh()) }, 'Revoke')),
        ),
      ),
    );
  };
  const create = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const key = await api<{ key: string }>('POST', '/v1/me/api-keys', { ...(name.value && { name: name.value }) });
          fill(shown, h('p', { class: 'notice' }, 'Copy this key now; it will not be shown again:'), h('p', { class: 'secret' }, key.key));
          await refresh();
        } catch (err) {
          fill(shown, h('p', { class: 'error' }, err instanceof ApiError ? explain(err.code, err.message) : String(err)));
        }
      },
    },
    h('label', { for: 'key-name' }, 'New key name'),
    name,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Create API key')),
  );
  fill(
    main,
    h('h1', {}, me.name),
    h('p', { class: 'muted' }, me.user ? `Account role: ${me.user.role}` : `Signed in as ${me.kind}`),
    h('h2', {}, 'API keys'),
    h('p', { class: 'hint' }, 'Use a key as "Authorization: Bearer <key>" from scripts and SDKs; it acts as you.'),
    keys,
    me.user ? create : null,
    shown,
  );
  await refresh();
};
