import { h } from './dom.ts';

/** Fields shown elsewhere (the text itself, OCR's words as boxes) are not repeated as facts. */
const SHOWN_ELSEWHERE = new Set(['text', 'words']);
const MAX_ROWS = 500;
const MAX_COLUMNS = 20;

/**
 * A result's facts as a small two-column table: its numbers, words and flags (a video's length and
 * frame rate, a model's point count, whether motion was seen), small objects on one line; null
 * when there are none. Nested data stays in the raw JSON.
 */
export function factsTable(data: Record<string, unknown>): HTMLElement | null {
  const rows = Object.entries(data).flatMap(([key, value]) => {
    const shown = SHOWN_ELSEWHERE.has(key) ? null : fact(value);
    return shown === null ? [] : [h('tr', {}, h('th', { scope: 'row' }, key.replaceAll('_', ' ')), h('td', {}, shown))];
  });
  if (rows.length === 0) return null;
  return h('div', { class: 'table-scroll' }, h('table', { class: 'facts', 'data-kind': 'facts' }, h('tbody', {}, ...rows)));
}

/**
 * A result declared as a table: a list of records as rows under the union of their keys, an object
 * as key–value rows; anything else as JSON.
 */
export function dataTable(data: unknown): HTMLElement {
  if (Array.isArray(data) && data.length > 0 && data.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) {
    const records = data.slice(0, MAX_ROWS) as Array<Record<string, unknown>>;
    const columns = [...new Set(records.flatMap((r) => Object.keys(r)))].slice(0, MAX_COLUMNS);
    const head = h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c))));
    const body = h('tbody', {}, ...records.map((r) => h('tr', {}, ...columns.map((c) => h('td', {}, cell(r[c]))))));
    const more = data.length > MAX_ROWS ? h('p', { class: 'hint' }, `The first ${MAX_ROWS} of ${data.length} rows; all are in the JSON.`) : null;
    return h('div', { class: 'table-scroll' }, h('table', { 'data-kind': 'table' }, head, body), more);
  }
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const rows = Object.entries(data).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, cell(v))));
    return h('div', { class: 'table-scroll' }, h('table', { 'data-kind': 'table' }, h('tbody', {}, ...rows)));
  }
  return h('pre', { class: 'output' }, JSON.stringify(data ?? null, null, 2));
}

/** A value as one short line: numbers to four significant digits, a small object as "key value · …", a list by its length. */
function fact(value: unknown): string | null {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value === null ? '—' : typeof value === 'string' ? (value.length > 200 ? null : value) : value ? 'yes' : 'no';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en') : String(Number(value.toPrecision(4)));
  if (Array.isArray(value)) return value.every((v) => typeof v === 'number') && value.length <= 8 ? value.join(', ') : `${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as object);
    if (entries.length > 6 || entries.some(([, v]) => typeof v === 'object' && v !== null)) return null;
    return entries.map(([k, v]) => `${k} ${fact(v)}`).join(' · ');
  }
  return null;
}

const cell = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
