import { api } from '../api.ts';
import { h, fill, listTable } from '../dom.ts';
import { failure } from './admin-space-form.ts';

interface AdminKey {
  id: string;
  name: string;
  hint: string;
  revoked: boolean;
  max_priority?: number;
  fair_weight?: number;
}

/** A number field that may be left empty (the gateway's default). */
const numberField = (id: string, value: number | undefined, label: string, min: number, max: number) =>
  h('input', { type: 'number', id, min, max, step: 1, value: value ?? '', placeholder: 'default', 'aria-label': label });

const numberOr = (input: HTMLInputElement, empty: null | undefined) => (input.value.trim() === '' ? empty : Number(input.value));

/**
 * Service API keys (docs/queue.md): create one (shown once), with the highest priority its jobs may
 * ask for and its weight in fair share; change those; revoke it.
 */
export async function apiKeys(box: HTMLElement): Promise<void> {
  const shown = h('div', { id: 'new-key' });
  const list = h('div', { id: 'admin-key-list' });
  const name = h('input', { type: 'text', id: 'key-name', placeholder: 'name', 'aria-label': 'Key name' });
  const priority = numberField('key-max-priority', undefined, 'Highest priority', -1000, 1000);
  const weight = numberField('key-weight', undefined, 'Weight in fair share', 1, 100);
  const refresh = async () => {
    const { keys } = await api<{ keys: AdminKey[] }>('GET', '/v1/admin/api-keys');
    fill(
      list,
      listTable(
        keys.filter((k) => !k.revoked),
        'No API keys yet.',
        (k) => {
          const p = numberField(`priority-${k.id}`, k.max_priority, `Highest priority of ${k.name}`, -1000, 1000);
          const w = numberField(`weight-${k.id}`, k.fair_weight, `Weight of ${k.name}`, 1, 100);
          const save = async () => {
            await api('PATCH', `/v1/admin/api-keys/${k.id}`, { max_priority: numberOr(p, null), fair_weight: numberOr(w, null) });
            await refresh();
          };
          return h(
            'tr',
            { 'data-key': k.id },
            h('td', {}, k.name),
            h('td', {}, h('code', {}, `${k.hint}…`)),
            h('td', {}, p),
            h('td', {}, w),
            h('td', {}, h('button', { type: 'button', class: 'save-key', onclick: () => void save().catch((err) => fill(shown, failure(err))) }, 'Save')),
            h('td', {}, h('button', { type: 'button', onclick: async () => (await api('DELETE', `/v1/admin/api-keys/${k.id}`), refresh()) }, 'Revoke')),
          );
        },
        ['Name', 'Key', 'Highest priority', 'Weight', '', ''],
      ),
    );
  };
  const create = h(
    'button',
    {
      type: 'button',
      id: 'create-key',
      class: 'primary',
      onclick: async () => {
        try {
          const body = {
            ...(name.value && { name: name.value }),
            ...(numberOr(priority, undefined) !== undefined && { max_priority: Number(priority.value) }),
            ...(numberOr(weight, undefined) !== undefined && { fair_weight: Number(weight.value) }),
          };
          const made = await api<{ key: string }>('POST', '/v1/admin/api-keys', body);
          fill(shown, h('p', { class: 'notice' }, 'Copy the key now; it will not be shown again:'), h('p', { class: 'secret', id: 'shown-key' }, made.key));
          await refresh();
        } catch (err) {
          fill(shown, failure(err));
        }
      },
    },
    'Create key',
  );
  fill(box, h('div', { class: 'row' }, name, priority, weight, create), shown, list);
  await refresh();
}
