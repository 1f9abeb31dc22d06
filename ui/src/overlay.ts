import { h } from './dom.ts';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const SVG = 'http://www.w3.org/2000/svg';

/**
 * What a result found in the submitted image, drawn on it: OCR's words as boxes (green when the
 * model was sure, amber when less), a motion detector's box around what changed. Null when the
 * result has no boxes to draw. The boxes are in the image's own pixels; the SVG over it takes the
 * image's size once it has loaded, so they stay on their words at any display size.
 */
export function imageWithBoxes(image: Blob, data: unknown): HTMLElement | null {
  const d = data as { words?: Array<{ text: string; confidence: number; bbox: Box }>; bbox?: Box | null; motion_detected?: boolean } | null;
  const boxes: Array<{ box: Box; label: string; colour: string }> = [];
  for (const w of d?.words ?? []) if (isBox(w.bbox)) boxes.push({ box: w.bbox, label: `${w.text} (${Math.round(w.confidence * 100)}%)`, colour: w.confidence >= 0.8 ? '#1f8a3a' : '#e08a00' });
  if (isBox(d?.bbox)) boxes.push({ box: d.bbox, label: d.motion_detected ? 'what changed' : 'a small change', colour: '#d7263d' });
  if (boxes.length === 0) return null;
  const img = h('img', { src: URL.createObjectURL(image), alt: 'The submitted image, with what was found in it' }) as HTMLImageElement;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  for (const { box, label, colour } of boxes) {
    const rect = document.createElementNS(SVG, 'rect');
    for (const [k, v] of Object.entries({ x: box.x, y: box.y, width: box.width, height: box.height, fill: 'none', stroke: colour, 'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' }))
      rect.setAttribute(k, String(v));
    const title = document.createElementNS(SVG, 'title');
    title.textContent = label;
    rect.append(title);
    svg.append(rect);
  }
  img.addEventListener('load', () => svg.setAttribute('viewBox', `0 0 ${img.naturalWidth} ${img.naturalHeight}`), { once: true });
  return h('figure', { class: 'overlay', 'data-kind': 'boxes', 'data-boxes': String(boxes.length) }, img, svg);
}

const isBox = (b: unknown): b is Box => typeof b === 'object' && b !== null && ['x', 'y', 'width', 'height'].every((k) => typeof (b as Record<string, unknown>)[k] === 'number');
