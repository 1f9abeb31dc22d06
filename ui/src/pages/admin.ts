import { activityCharts } from '../charts.ts';
import { api } from '../api.ts';
import { h, fill, bytes, listTable } from '../dom.ts';
import { navigate, type Page } from '../navigation.ts';
import { whoAmI } from '../session.ts';
import { type AdminSpace, failure, spaceForm } from './admin-space-form.ts';
import { deliveries } from './admin-webhooks.ts';
import { apiKeys } from './admin-keys.ts';

/** The admin panel: spaces, worker tokens, workers, queue and jobs, users. Admins only. */
export const adminPage: Page = async (main) => {
  const me = await whoAmI();
  if (me.kind !== 'admin') return void (await navigate('/signin?next=/admin'));
  const spacesBox = h('div', { id: 'admin-spaces', class: 'table-scroll' });
  const editor = h('div', { id: 'space-editor' });
  const tokensBox = h('div', { id: 'admin-tokens' });
  const activityBox = h('div', { id: 'admin-activity' });
  const workersBox = h('div', { id: 'admin-workers' });
  const jobsBox = h('div', { id: 'admin-jobs' });
  const deliveriesBox = h('div', { id: 'admin-deliveries' });
  const usersBox = h('div', { id: 'admin-users' });
  const keysBox = h('div', { id: 'admin-keys' });
  fill(
    main,
    h('h1', {}, 'Admin'),
    h('h2', {}, 'Spaces'),
    h('div', { class: 'row' }, h('button', { type: 'button', id: 'new-space', class: 'primary', onclick: () => spaceForm(editor, null, refreshSpaces) }, 'New space')),
    editor,
    spacesBox,
    h('h2', {}, 'Activity'),
    activityBox,
    h('h2', {}, 'Worker tokens'),
    tokensBox,
    h('h2', {}, 'Connected workers'),
    workersBox,
    h('h2', {}, 'Queue and recent jobs'),
    jobsBox,
    h('h2', {}, 'Webhook deliveries'),
    deliveriesBox,
    h('h2', {}, 'Users'),
    usersBox,
    h('h2', {}, 'API keys for services'),
    keysBox,
  );

  async function refreshSpaces(): Promise<void> {
    const { spaces } = await api<{ spaces: AdminSpace[] }>('GET', '/v1/admin/spaces');
    fill(
      spacesBox,
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Inputs'), h('th', {}, 'Access'), h('th', {}, 'Timeout'), h('th', {}, ''))),
        h(
          'tbody',
          {},
          ...spaces.map((s) =>
            h(
              'tr',
              { 'data-space': s.name },
              h('td', {}, h('a', { href: `/s/${encodeURIComponent(s.name)}` }, s.name)),
              h(
                'td',
                {},
                Object.entries(s.inputs)
                  .map(([k, r]) => `${k} ≤ ${bytes(r!.max_bytes)}`)
                  .join(', '),
              ),
              h('td', {}, s.access + (s.open_registration ? ', open registration' : '')),
              h('td', {}, `${s.timeout_s} s`),
              h(
                'td',
                {},
                h('button', { type: 'button', onclick: () => spaceForm(editor, s, refreshSpaces) }, 'Edit'),
                ' ',
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: async () =>
                      confirm(`Delete ${s.name}? Its unfinished jobs are cancelled.`) && (await api('DELETE', `/v1/admin/spaces/${encodeURIComponent(s.name)}`), await refreshSpaces()),
                  },
                  'Delete',
                ),
              ),
            ),
          ),
        ),
      ),
    );
    await tokens(tokensBox, spaces);
    activity(activityBox, spaces);
  }

  await refreshSpaces();
  await users(usersBox);
  await apiKeys(keysBox);
  const refreshJobs = jobList(jobsBox);
  const live = async () => {
    await Promise.all([workers(workersBox), refreshJobs(), deliveries(deliveriesBox)]).catch(() => {});
  };
  await live();
  const timer = setInterval(live, 2000);
  return () => clearInterval(timer);
};

/** A space's last hour, charted (charts.ts): pick the space (the list the Spaces table was drawn from). */
function activity(box: HTMLElement, spaces: AdminSpace[]): void {
  if (spaces.length === 0) return fill(box, h('p', { class: 'muted' }, 'No spaces yet.'));
  let charts = h('div', { class: 'charts' });
  // Drawn again when the spaces change: the space charted stays chosen while it exists.
  const chosen = box.querySelector<HTMLSelectElement>('#activity-space')?.value;
  const pick = h('select', { id: 'activity-space', 'aria-label': 'Space to chart' }, ...spaces.map((s) => h('option', { value: s.name, selected: s.name === chosen }, s.name)));
  // A new box per space: the old one's charts stop redrawing once it leaves the page.
  const show = () => {
    const fresh = h('div', { class: 'charts', id: 'activity-charts' });
    charts.replaceWith(fresh);
    charts = fresh;
    void activityCharts(fresh, pick.value).catch((err) => fresh.append(failure(err)));
  };
  pick.addEventListener('change', show);
  fill(box, h('div', { class: 'row' }, pick), charts);
  show();
}

/** Worker tokens per space: create (shown once, with the command that starts a worker), list, revoke. */
async function tokens(box: HTMLElement, spaces: AdminSpace[]): Promise<void> {
  const pick = h('select', { id: 'token-space', 'aria-label': 'Space' }, ...spaces.map((s) => h('option', { value: s.name }, s.name)));
  const shown = h('div', { id: 'new-token' });
  const list = h('div');
  const refresh = async () => {
    if (!pick.value) return fill(list);
    const { tokens } = await api<{ tokens: Array<{ id: string; name: string; hint: string; revoked: boolean; created_at: string }> }>(
      'GET',
      `/v1/admin/spaces/${encodeURIComponent(pick.value)}/worker-tokens`,
    );
    const active = tokens.filter((t) => !t.revoked);
    fill(
      list,
      listTable(active, 'No tokens for this space.', (t) =>
        h(
          'tr',
          {},
          h('td', {}, t.name),
          h('td', {}, h('code', {}, `${t.hint}…`)),
          h('td', {}, new Date(t.created_at).toLocaleString()),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                onclick: async () => (await api('DELETE', `/v1/admin/spaces/${encodeURIComponent(pick.value)}/worker-tokens/${t.id}`), refresh()),
              },
              'Revoke',
            ),
          ),
        ),
      ),
    );
  };
  pick.addEventListener('change', () => void refresh());
  const create = h(
    'button',
    {
      type: 'button',
      id: 'create-token',
      class: 'primary',
      onclick: async () => {
        try {
          const t = await api<{ token: string; commands: { exec: string; openai: string; python: string } }>('POST', `/v1/admin/spaces/${encodeURIComponent(pick.value)}/worker-tokens`, {});
          const here = (command: string) => command.replace('<gateway-url>', location.origin);
          fill(
            shown,
            h('p', { class: 'notice' }, 'Copy the token now; it will not be shown again. Start a worker, on any machine that reaches this gateway, with one of:'),
            h(
              'p',
              { class: 'hint' },
              "A command per job (the job as JSON on stdin, each output line a token; this one echoes the job back — put your model's command in its place), where the spaceport npm package is installed or in its checkout:",
            ),
            h('p', { class: 'secret', id: 'worker-command' }, here(t.commands.exec)),
            h('p', { class: 'hint' }, 'An OpenAI-compatible server (Ollama at its usual address here; vLLM and llama.cpp alike):'),
            h('p', { class: 'secret', id: 'worker-command-openai' }, here(t.commands.openai)),
            h('p', { class: 'hint' }, 'Python, after pip install ./python from the checkout (a handler of your own: --handler my_model:handle):'),
            h('p', { class: 'secret', id: 'worker-command-python' }, here(t.commands.python)),
          );
          await refresh();
        } catch (err) {
          fill(shown, failure(err));
        }
      },
    },
    'Create token',
  );
  fill(box, spaces.length === 0 ? h('p', { class: 'muted' }, 'Create a space first.') : h('div', { class: 'row' }, pick, create), shown, list);
  await refresh();
}

/** Connected workers: spaces, slots, running jobs, uptime; drain, resume or disconnect each. */
async function workers(box: HTMLElement): Promise<void> {
  const [{ workers: list }, { spaces }] = await Promise.all([
    api<{ workers: Array<{ id: string; name: string; space_ids: string[]; slots: number; running: number; draining: boolean; connected_at: number }> }>('GET', '/v1/admin/workers'),
    api<{ spaces: AdminSpace[] }>('GET', '/v1/admin/spaces'),
  ]);
  const spaceName = (id: string) => spaces.find((s) => s.id === id)?.name ?? id;
  const act = (id: string, action: string) => async () => {
    await api('POST', `/v1/admin/workers/${id}/${action}`);
    setTimeout(() => void workers(box), 300);
  };
  fill(
    box,
    listTable(
      list,
      'No workers connected.',
      (w) =>
        h(
          'tr',
          { 'data-worker': w.id },
          h('td', {}, w.name, w.draining ? h('span', { class: 'hint' }, ' (draining)') : null),
          h('td', {}, w.space_ids.map(spaceName).join(', ')),
          h('td', {}, w.slots),
          h('td', {}, w.running),
          h('td', {}, `${Math.round((Date.now() - w.connected_at) / 1000)} s`),
          h(
            'td',
            {},
            h('button', { type: 'button', onclick: act(w.id, w.draining ? 'undrain' : 'drain') }, w.draining ? 'Resume' : 'Drain'),
            ' ',
            h('button', { type: 'button', onclick: act(w.id, 'disconnect') }, 'Disconnect'),
          ),
        ),
      ['Worker', 'Spaces', 'Slots', 'Running', 'Up', ''],
    ),
  );
}

const JOB_STATES = ['queued', 'assigned', 'running', 'completed', 'failed', 'cancelled', 'timed_out'];

/**
 * Jobs, newest first, 25 a page: all of them or those in one state (failed ones are the dead
 * letters), paged back with the listing's cursor; cancel any unfinished one, retry one that ended
 * without a result (a new job with its inputs). The controls are made
 * once; the returned function redraws the page shown (the panel refreshes it every 2 s).
 */
function jobList(box: HTMLElement): () => Promise<void> {
  /** The cursors of the pages before the one shown (empty: the newest page). */
  const cursors: string[] = [];
  let next: string | null = null;
  const table = h('div');
  const state = h('select', { id: 'job-state', 'aria-label': 'State' }, h('option', { value: '' }, 'all states'), ...JOB_STATES.map((s) => h('option', { value: s }, s)));
  const newer = h('button', { type: 'button', id: 'jobs-newer' }, '← Newer');
  const older = h('button', { type: 'button', id: 'jobs-older' }, 'Older →');
  const refresh = async () => {
    const query = new URLSearchParams({ limit: '25', ...(state.value && { state: state.value }), ...(cursors.length > 0 && { before: cursors.at(-1)! }) });
    const page = await api<{ jobs: Array<{ id: string; space: string; state: string; owner: string; created_at: string }>; next: string | null }>('GET', `/v1/admin/jobs?${query}`);
    next = page.next;
    newer.disabled = cursors.length === 0;
    older.disabled = next === null;
    fill(
      table,
      listTable(
        page.jobs,
        state.value ? `No ${state.value} jobs.` : 'No jobs yet.',
        (j) =>
          h(
            'tr',
            { 'data-job': j.id },
            h('td', {}, h('code', {}, j.id.slice(0, 16))),
            h('td', {}, j.space),
            h('td', {}, j.state),
            h('td', {}, j.owner),
            h('td', {}, new Date(j.created_at).toLocaleTimeString()),
            h(
              'td',
              {},
              ['queued', 'assigned', 'running'].includes(j.state)
                ? h('button', { type: 'button', onclick: async () => (await api('POST', `/v1/jobs/${j.id}/cancel`), refresh()) }, 'Cancel')
                : j.state !== 'completed'
                  ? h('button', { type: 'button', class: 'retry', onclick: async () => (await api('POST', `/v1/jobs/${j.id}/retry`), refresh()) }, 'Retry')
                  : null,
            ),
          ),
        ['Job', 'Space', 'State', 'Who', 'Created', ''],
      ),
    );
  };
  state.addEventListener('change', () => ((cursors.length = 0), void refresh()));
  newer.addEventListener('click', () => (cursors.pop(), void refresh()));
  older.addEventListener('click', () => (next && cursors.push(next), void refresh()));
  fill(box, h('div', { class: 'row' }, state, newer, older), table);
  return refresh;
}

/** Users: create with a password, make admin or not, delete. */
async function users(box: HTMLElement): Promise<void> {
  const { users: list } = await api<{ users: Array<{ username: string; role: string; created_at: string }> }>('GET', '/v1/admin/users');
  const username = h('input', { type: 'text', id: 'new-username', autocomplete: 'off' });
  const password = h('input', { type: 'password', id: 'new-password', autocomplete: 'new-password' });
  const role = h('select', { id: 'new-role' }, h('option', { value: 'user' }, 'user'), h('option', { value: 'admin' }, 'admin'));
  const message = h('div');
  fill(
    box,
    h(
      'table',
      {},
      h(
        'tbody',
        {},
        ...list.map((u) =>
          h(
            'tr',
            { 'data-user': u.username },
            h('td', {}, u.username),
            h('td', {}, u.role),
            h('td', {}, new Date(u.created_at).toLocaleDateString()),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  onclick: async () => (await api('PATCH', `/v1/admin/users/${encodeURIComponent(u.username)}`, { role: u.role === 'admin' ? 'user' : 'admin' }), users(box)),
                },
                u.role === 'admin' ? 'Make user' : 'Make admin',
              ),
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  onclick: async () => confirm(`Delete ${u.username}?`) && (await api('DELETE', `/v1/admin/users/${encodeURIComponent(u.username)}`), users(box)),
                },
                'Delete',
              ),
            ),
          ),
        ),
      ),
    ),
    h(
      'form',
      {
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            await api('POST', '/v1/admin/users', { username: username.value, password: password.value, role: role.value });
            await users(box);
          } catch (err) {
            fill(message, failure(err));
          }
        },
      },
      h(
        'fieldset',
        {},
        h('legend', {}, 'New user'),
        h(
          'div',
          { class: 'inputs' },
          h('label', { for: 'new-username' }, 'Username', username),
          h('label', { for: 'new-password' }, 'Password (8+ characters)', password),
          h('label', { for: 'new-role' }, 'Role', role),
        ),
        h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary', id: 'create-user' }, 'Create user')),
        message,
      ),
    ),
  );
}
