import { api } from '../api.ts';
import { h, fill, listTable } from '../dom.ts';

interface DeliveryRow {
  id: string;
  event: string;
  url: string;
  state: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
}

/** The newest webhook deliveries (docs/webhooks.md): where, what, and how it went; redrawn with the panel. */
export async function deliveries(box: HTMLElement): Promise<void> {
  const { deliveries: rows } = await api<{ deliveries: DeliveryRow[] }>('GET', '/v1/admin/webhooks/deliveries?limit=25');
  fill(
    box,
    listTable(
      rows,
      'No webhook deliveries yet.',
      (d) =>
        h(
          'tr',
          { 'data-delivery': d.id },
          h('td', {}, d.event),
          h('td', {}, h('code', {}, d.url)),
          h('td', {}, d.state),
          h('td', {}, String(d.attempts)),
          h('td', {}, d.last_status !== null ? String(d.last_status) : (d.last_error ?? '')),
          h('td', {}, new Date(d.created_at).toLocaleTimeString()),
        ),
      ['Event', 'URL', 'State', 'Attempts', 'Last answer', 'Created'],
    ),
  );
}
