type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

/** `h('button', { onclick, class: 'primary' }, 'Send')`: an element with attributes, handlers and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== 'string') (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c))));
}

export function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

/** A table with a row per item (and a header row when given), or the words `empty` when there are none. */
export function listTable<T>(items: T[], empty: string, row: (item: T) => HTMLTableRowElement, head?: string[]): HTMLElement {
  if (items.length === 0) return h('p', { class: 'muted' }, empty);
  // In a box of its own that scrolls sideways when the table is wider than a phone, not the page.
  return h('div', { class: 'table-scroll' }, h('table', {}, head ? h('thead', {}, h('tr', {}, ...head.map((label) => h('th', {}, label)))) : null, h('tbody', {}, ...items.map(row))));
}
