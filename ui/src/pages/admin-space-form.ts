import { api, ApiError } from '../api.ts';
import { h, fill } from '../dom.ts';
import { explain } from '../errors.ts';
import { presentationFields, type Presented } from './admin-presentation-fields.ts';

/** The admin panel's space editor: a space's name, description, inputs (with their caps) and rules. */
const KINDS = ['prompt', 'image', 'audio', 'video', 'files'] as const;
const WEBHOOK_EVENTS = ['started', 'progress', 'completed', 'failed', 'cancelled', 'timed_out'] as const;
const DEFAULT_EVENTS: readonly string[] = ['completed', 'failed', 'cancelled', 'timed_out'];
const DEFAULT_MB: Record<(typeof KINDS)[number], number> = { prompt: 0.0625, image: 10, audio: 25, video: 100, files: 25 };

export interface AdminSpace extends Presented {
  id: string;
  name: string;
  description: string;
  inputs: Partial<Record<(typeof KINDS)[number], { max_bytes: number; mime: string[] }>>;
  timeout_s: number;
  max_queue: number;
  max_attempts: number;
  access: 'public' | 'users';
  open_registration?: boolean;
  visibility?: 'public' | 'owner';
  queue_policy?: 'fair' | 'fifo';
  retry_delay_ms?: number;
  retry_max_delay_ms?: number;
  webhook_url?: string | null;
  webhook_events?: string[];
}

export const failure = (err: unknown) => h('p', { class: 'error', role: 'alert' }, err instanceof ApiError ? explain(err.code, err.message) : String(err));

/** Create or edit a space: name, description, input toggles with limits and MIME types, timeouts, access. */
export function spaceForm(box: HTMLElement, space: AdminSpace | null, done: () => Promise<void>): void {
  const name = h('input', { type: 'text', id: 'space-name', required: true, value: space?.name ?? '' });
  const description = h('textarea', { id: 'space-description', rows: 2 });
  description.value = space?.description ?? '';
  const toggles = KINDS.map((kind) => {
    const rule = space?.inputs[kind];
    const on = h('input', { type: 'checkbox', id: `input-${kind}`, checked: space ? !!rule : kind === 'prompt' });
    const mb = h('input', {
      type: 'number',
      id: `limit-${kind}`,
      min: 0.001,
      step: 'any',
      value: rule ? rule.max_bytes / 1024 / 1024 : DEFAULT_MB[kind],
      'aria-label': `${kind} size limit in MB`,
    });
    const mime = h('input', {
      type: 'text',
      id: `mime-${kind}`,
      value: rule?.mime.join(', ') ?? '',
      placeholder: kind === 'prompt' ? '' : `${kind === 'files' ? 'any' : kind + '/*'}`,
      'aria-label': `${kind} MIME types`,
    });
    if (kind === 'prompt') mime.disabled = true;
    return { kind, on, mb, mime, row: h('tr', {}, h('td', {}, h('label', {}, on, ` ${kind}`)), h('td', {}, mb), h('td', {}, mime)) };
  });
  const timeout = h('input', { type: 'number', id: 'space-timeout', min: 1, value: space?.timeout_s ?? 120 });
  const maxQueue = h('input', { type: 'number', id: 'space-max-queue', min: 1, value: space?.max_queue ?? 1000 });
  const attempts = h('input', { type: 'number', id: 'space-attempts', min: 1, value: space?.max_attempts ?? 3 });
  const retryDelay = h('input', { type: 'number', id: 'space-retry-delay', min: 0, step: 'any', value: (space?.retry_delay_ms ?? 1000) / 1000 });
  const retryMax = h('input', { type: 'number', id: 'space-retry-max', min: 0, step: 'any', value: (space?.retry_max_delay_ms ?? 60_000) / 1000 });
  const access = h('select', { id: 'space-access' }, h('option', { value: 'public' }, 'public'), h('option', { value: 'users' }, 'signed-in users only'));
  access.value = space?.access ?? 'public';
  const policy = h('select', { id: 'space-policy' }, h('option', { value: 'fair' }, 'fair share between callers'), h('option', { value: 'fifo' }, 'first come, first served'));
  policy.value = space?.queue_policy ?? 'fair';
  const open = h('input', { type: 'checkbox', id: 'space-open', checked: space?.open_registration ?? false });
  const webhook = h('input', { type: 'url', id: 'space-webhook', value: space?.webhook_url ?? '', placeholder: 'https://example.com/hook' });
  const hookEvents = WEBHOOK_EVENTS.map((event) => {
    const box = h('input', { type: 'checkbox', id: `webhook-${event}`, checked: (space?.webhook_events ?? DEFAULT_EVENTS).includes(event) });
    return { event, box, label: h('label', {}, box, ` ${event}`) };
  });
  const watchable = h('input', { type: 'checkbox', id: 'space-public', checked: space?.visibility === 'public' });
  const presentation = presentationFields(space);
  const message = h('div');
  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const inputs: Record<string, { max_bytes: number; mime?: string[] }> = {};
        for (const t of toggles) {
          if (!t.on.checked) continue;
          const mime = t.mime.value
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean);
          inputs[t.kind] = { max_bytes: Math.round(Number(t.mb.value) * 1024 * 1024), ...(mime.length && { mime }) };
        }
        const body = {
          name: name.value,
          description: description.value,
          inputs,
          timeout_s: Number(timeout.value),
          max_queue: Number(maxQueue.value),
          max_attempts: Number(attempts.value),
          retry_delay_ms: Math.round(Number(retryDelay.value) * 1000),
          retry_max_delay_ms: Math.round(Number(retryMax.value) * 1000),
          access: access.value,
          open_registration: open.checked,
          visibility: watchable.checked ? 'public' : 'owner',
          queue_policy: policy.value,
          webhook_url: webhook.value.trim() || null,
        };
        const events = hookEvents.filter((e) => e.box.checked).map((e) => e.event);
        if (events.length > 0) Object.assign(body, { webhook_events: events });
        const presented = presentation.read();
        if (typeof presented === 'string') return fill(message, failure(presented));
        Object.assign(body, presented);
        try {
          await api(space ? 'PATCH' : 'POST', space ? `/v1/admin/spaces/${encodeURIComponent(space.name)}` : '/v1/admin/spaces', body);
          fill(box);
          await done();
        } catch (err) {
          fill(message, failure(err));
        }
      },
    },
    h(
      'fieldset',
      {},
      h('legend', {}, space ? `Edit ${space.name}` : 'New space'),
      h('label', { for: 'space-name' }, 'Name'),
      name,
      h('label', { for: 'space-description' }, 'Description'),
      description,
      h('p', { class: 'hint' }, 'Inputs people may send, with a size limit (MB) and allowed MIME types (comma-separated; empty = any):'),
      h('table', {}, h('tbody', {}, ...toggles.map((t) => t.row))),
      h(
        'div',
        { class: 'inputs' },
        h('label', { for: 'space-timeout' }, 'Timeout (s)', timeout),
        h('label', { for: 'space-max-queue' }, 'Max queue', maxQueue),
        h('label', { for: 'space-attempts' }, 'Max attempts', attempts),
        h('label', { for: 'space-retry-delay' }, 'First retry after (s)', retryDelay),
        h('label', { for: 'space-retry-max' }, 'Longest retry wait (s)', retryMax),
        h('label', { for: 'space-access' }, 'Access', access),
        h('label', { for: 'space-policy' }, 'Queue', policy),
      ),
      h('label', { for: 'space-webhook' }, 'Webhook: where its jobs’ starts and ends are sent (signed; empty for none)'),
      webhook,
      h('div', { class: 'row' }, ...hookEvents.map((e) => e.label)),
      h('label', {}, open, ' Workers may register without a token (open registration)'),
      h('label', {}, watchable, ' Anyone may watch its jobs and results (public: the frames topics broadcast them)'),
      presentation.element,
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit', class: 'primary', id: 'save-space' }, space ? 'Save' : 'Create space'),
        h('button', { type: 'button', onclick: () => fill(box) }, 'Cancel'),
      ),
      message,
    ),
  );
  fill(box, form);
  name.focus();
}
