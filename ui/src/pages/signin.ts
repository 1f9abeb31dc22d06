import { api, ApiError } from '../api.ts';
import { h, fill } from '../dom.ts';
import { navigate, type Page } from '../navigation.ts';
import { explain } from '../errors.ts';
import { resetIdentity } from '../session.ts';

export const signInPage: Page = async (main) => {
  const username = h('input', { type: 'text', id: 'username', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', id: 'password', autocomplete: 'current-password', required: true });
  const message = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          await api('POST', '/v1/auth/login', { username: username.value, password: password.value });
          resetIdentity();
          await navigate(new URLSearchParams(location.search).get('next') ?? '/');
        } catch (err) {
          message.textContent = err instanceof ApiError ? explain(err.code, err.message) : String(err);
        }
      },
    },
    h('label', { for: 'username' }, 'Username'),
    username,
    h('label', { for: 'password' }, 'Password'),
    password,
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Sign in')),
    message,
    h('p', { class: 'hint' }, 'Accounts are made by an admin. The built-in admin signs in as "admin" with the admin token.'),
  );
  fill(main, h('h1', {}, 'Sign in'), form);
};
