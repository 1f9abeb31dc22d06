import type { ResultFile } from '../../src/sdk/browser.ts';
import { h, bytes } from './dom.ts';
import { imageWithBoxes } from './overlay.ts';
import { showGlb } from './viewer.ts';

/** What the page knows besides the result: the image it submitted (to draw found boxes on), the text already streamed. */
export interface Shown {
  image?: Blob | undefined;
  streamed?: string | undefined;
}

/** A result shown for what it is: text, boxes on the image, image, audio, video, a 3D model, or a download (`id`: a partial's is another). */
export function renderResult(data: unknown, files: ResultFile[], id = 'result', shown: Shown = {}): HTMLElement {
  const box = h('div', { class: 'result', id });
  const text = typeof data === 'string' ? data : typeof (data as { text?: unknown } | null)?.text === 'string' ? (data as { text: string }).text : null;
  // Text that streamed in as tokens is on the page already: once is enough.
  const alreadyShown = text !== null && shown.streamed !== undefined && shown.streamed.trim() === text.trim();
  if (text !== null && !alreadyShown) box.append(h('div', { class: 'output', 'data-kind': 'text' }, text));
  const drawn = shown.image && imageWithBoxes(shown.image, data);
  if (drawn) box.append(drawn);
  if (data !== null && data !== undefined && typeof data === 'object') {
    box.append(h('details', { open: text === null }, h('summary', {}, 'Result data'), h('pre', { class: 'output' }, JSON.stringify(data, null, 2))));
  }
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
