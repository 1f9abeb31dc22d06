import { api, type SpaceInfo } from '../api.ts';
import { queueSparkline } from '../charts.ts';
import { h, fill } from '../dom.ts';
import type { Page } from '../navigation.ts';
import { sdk } from '../session.ts';

function statusLine(s: SpaceInfo): HTMLElement {
  return h(
    'span',
    { class: 'status', 'data-status': s.connected ? 'connected' : 'disconnected' },
    h('span', { class: `dot${s.connected ? ' on' : ''}`, 'aria-hidden': 'true' }),
    s.connected ? `Connected · ${s.workers} worker${s.workers === 1 ? '' : 's'}` : 'Not connected',
    ` · ${s.queue_length} queued`,
  );
}

/** Home: every space with live status and queue length, and the token-streaming client of /ws. */
export const homePage: Page = async (main) => {
  const { spaces } = await api<{ spaces: SpaceInfo[] }>('GET', '/v1/spaces');
  const cards = new Map<string, HTMLElement>();
  // Each card's queue sparkline is kept across the card's redraws (a status change redraws it), and redrawn every half minute.
  const sparklines = new Map<string, HTMLElement>();
  const sparkline = (space: string) => {
    let box = sparklines.get(space);
    if (!box) {
      sparklines.set(space, (box = h('div', { class: 'sparkline', 'aria-label': `${space}: queue length over the last minutes`, role: 'img' })));
      void queueSparkline(box, space).catch(() => {});
    }
    return box;
  };
  const grid = h('div', { class: 'grid', id: 'spaces' });
  const draw = (s: SpaceInfo) => {
    const card = h(
      'article',
      { class: 'card', 'data-space': s.space },
      h('h3', {}, h('a', { href: `/s/${encodeURIComponent(s.space)}` }, s.space)),
      h('p', { class: 'muted' }, s.description || 'No description.'),
      h('div', { class: 'row' }, statusLine(s), sparkline(s.space)),
      s.access === 'users' && h('p', { class: 'hint' }, 'Signed-in users only'),
    );
    const old = cards.get(s.space);
    if (old) old.replaceWith(card);
    else grid.append(card);
    cards.set(s.space, card);
  };
  spaces.forEach(draw);
  fill(main, h('h1', {}, 'Spaces'), spaces.length ? grid : h('p', { class: 'muted' }, 'No spaces yet. An admin can create them.'), streamPanel(spaces));
  // Live: the gateway pushes space_status whenever workers or queues change.
  const stop = await sdk().subscribe('all', (m) => m.type === 'space_status' && draw(m as unknown as SpaceInfo));
  const redraw = setInterval(() => {
    for (const [space, box] of sparklines) {
      box.replaceChildren();
      void queueSparkline(box, space).catch(() => {});
    }
  }, 30_000);
  return () => {
    clearInterval(redraw);
    stop();
  };
};

/** The token-streaming document's client: a query box talking to /ws, as its `GET /` page does. */
function streamPanel(spaces: SpaceInfo[]): HTMLElement | null {
  if (!spaces.some((s) => s.space === 'text-generation')) return null;
  const query = h('textarea', { id: 'stream-query', rows: 2 });
  query.value = 'It is a truth universally acknowledged';
  const out = h('div', { class: 'output', id: 'stream-output', 'aria-live': 'polite' });
  const note = h('p', { class: 'muted', id: 'stream-status' });
  const send = h(
    'button',
    {
      class: 'primary',
      type: 'button',
      onclick: () => {
        const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
        out.textContent = query.value;
        note.textContent = 'streaming…';
        ws.onopen = () => ws.send(JSON.stringify({ type: 'query', session_id: crypto.randomUUID(), query: query.value, stream: true, options: { max_tokens: 240 } }));
        ws.onmessage = (e) => {
          const msg = JSON.parse(e.data);
          if (msg.type === 'token') out.textContent += msg.token;
          if (msg.type === 'end') {
            note.textContent = `${msg.total_tokens} tokens in ${msg.duration_ms} ms`;
            ws.close();
          }
          if (msg.type === 'error') note.textContent = `error ${msg.code}: ${msg.error}`;
        };
      },
    },
    'Stream',
  );
  return h(
    'section',
    { 'aria-labelledby': 'stream-title' },
    h('h2', { id: 'stream-title' }, 'Quick stream over /ws'),
    h('p', { class: 'muted' }, 'The token-streaming protocol on the text-generation space (a tiny character model trained on Jane Austen).'),
    h('label', { for: 'stream-query' }, 'Your text'),
    query,
    h('div', { class: 'row' }, send),
    out,
    note,
  );
}
