import type { ResultFile } from '../../src/sdk/browser.ts';
import type { OutputKind } from '../../src/protocol/space-presentation.ts';
import { h, bytes } from './dom.ts';
import { imageWithBoxes } from './overlay.ts';
import { dataTable, factsTable } from './result-tables.ts';
import { showGlb } from './viewer.ts';

/** What the page knows besides the result: the image it submitted (to draw found boxes on), the text already streamed, what the space says its results are. */
export interface Shown {
  image?: Blob | undefined;
  streamed?: string | undefined;
  output?: OutputKind | undefined;
}

/**
 * A result shown for what it is (`id`: a partial's is another). A space that declares its output
 * kind gets it shown as that — text once, boxes over the submitted image with the text beside them,
 * a table, media in their players with the facts as a small table, a 3D model in the viewer, or
 * JSON; one that does not is shown by what the result holds. The raw JSON is always one click away.
 */
export function renderResult(data: unknown, files: ResultFile[], id = 'result', shown: Shown = {}): HTMLElement {
  const box = h('div', { class: 'result', id, 'data-output': shown.output ?? 'as-found' });
  const kind = shown.output;
  const isObject = data !== null && data !== undefined && typeof data === 'object';
  if (kind === 'json') {
    box.append(h('pre', { class: 'output', 'data-kind': 'json' }, JSON.stringify(data ?? null, null, 2)));
    return withFiles(box, files);
  }
  let streamed = false;
  if (kind === 'table') box.append(dataTable(data));
  else {
    const text = typeof data === 'string' ? data : typeof (data as { text?: unknown } | null)?.text === 'string' ? (data as { text: string }).text : null;
    // Text that streamed in as tokens is on the page already: once is enough.
    streamed = text !== null && shown.streamed !== undefined && shown.streamed.trim() === text.trim();
    const textBox = text !== null && !streamed ? h('div', { class: 'output', 'data-kind': 'text' }, text) : null;
    const drawn = shown.image && imageWithBoxes(shown.image, data);
    // Boxes beside the words they hold; elsewhere the text alone.
    if (drawn) box.append(h('div', { class: 'side-by-side' }, drawn, textBox));
    else if (textBox) box.append(textBox);
    // The facts of media, boxes and models as a small table, not a JSON dump.
    const facts = isObject && kind !== 'text' && (kind !== undefined || files.length > 0 || drawn) ? factsTable(data as Record<string, unknown>) : null;
    if (facts) box.append(facts);
  }
  withFiles(box, files);
  // Open when it is all there is to see (a space that declares nothing, with a result of plain data).
  const alone = kind === undefined && !streamed && box.childElementCount === 0;
  if (isObject) box.append(h('details', { class: 'raw', open: alone }, h('summary', {}, 'Result data (JSON)'), h('pre', { class: 'output' }, JSON.stringify(data, null, 2))));
  return box;
}

/** Each file in its player or viewer (images, audio, video, 3D), else a download; each with its name, type, size and a download link. */
function withFiles(box: HTMLElement, files: ResultFile[]): HTMLElement {
  for (const f of files) {
    const caption = h('p', { class: 'hint' }, `${f.name} · ${f.mime} · ${bytes(f.size)} · `, h('a', { href: f.url, download: f.name }, 'download'));
    if (f.mime.startsWith('image/')) box.append(h('img', { src: f.url, alt: f.name }), caption);
    else if (f.mime.startsWith('audio/')) box.append(h('audio', { controls: true, src: f.url }), caption);
    else if (f.mime.startsWith('video/')) box.append(h('video', { controls: true, src: f.url, 'data-kind': 'video' }), caption);
    else if (f.mime === 'model/gltf-binary' || f.name.endsWith('.glb')) {
      const holder = h('div', { 'data-kind': 'glb' });
      box.append(holder, caption);
      void showGlb(holder, f.url).catch((err) => holder.append(h('p', { class: 'error' }, `The 3D viewer could not open this model: ${String(err)}`)));
    } else box.append(h('p', {}, h('a', { href: f.url, download: f.name }, `Download ${f.name}`), ` (${f.mime}, ${bytes(f.size)})`));
  }
  return box;
}
