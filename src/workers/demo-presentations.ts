/**
 * How each demo space presents itself (docs/spaces.md#presentation): what its results are, the
 * options its built-in worker reads (with the ranges it accepts), and examples to start from. The
 * built-in workers declare these when they register, as any worker may.
 */

import sharp from 'sharp';
import type { SpaceDeclaration } from '../protocol/space-presentation.ts';
import { VOICES } from './speech/text-to-speech.ts';

const fraction = (title: string, description: string, fallback: number) => ({ type: 'number', minimum: 0, maximum: 1, multipleOf: 0.01, default: fallback, title, description }) as const;

const PRESENTATIONS: Record<string, SpaceDeclaration> = {
  'text-generation': {
    output: 'text',
    options_schema: {
      type: 'object',
      properties: {
        max_tokens: { type: 'integer', minimum: 1, maximum: 2000, default: 200, title: 'Length', description: 'Characters to write (each is one token).' },
        temperature: { type: 'number', minimum: 0.05, maximum: 2, multipleOf: 0.05, default: 0.8, title: 'Temperature', description: 'Lower is safer and more repetitive, higher is wilder.' },
        top_k: { type: 'integer', minimum: 1, maximum: 100, default: 20, title: 'Top k', description: 'Sample only among this many most likely characters.' },
      },
    },
    examples: [
      { label: 'A truth universally acknowledged', prompt: 'It is a truth universally acknowledged, that ', options: { max_tokens: 200 } },
      { label: 'A letter, carefully', prompt: 'My dear Jane, I write to you with ', options: { temperature: 0.4, max_tokens: 160 } },
      { label: 'A ball, wildly', prompt: 'At the ball, Mr. Darcy ', options: { temperature: 1.3, max_tokens: 120 } },
    ],
  },
  ocr: {
    output: 'boxes',
    options_schema: {
      type: 'object',
      properties: { threshold: fraction('Minimum confidence', 'Leave out words read with less confidence than this (0 keeps every word).', 0) },
    },
  },
  motion_detector: {
    output: 'boxes',
    options_schema: {
      type: 'object',
      properties: {
        threshold: fraction('Pixel threshold', 'How much a pixel must change (0–1 of full brightness) to count as changed.', 0.1),
        min_fraction: { ...fraction('Minimum changed area', 'The fraction of pixels that must change to call it motion.', 0.005), multipleOf: 0.001 },
      },
    },
  },
  'audio-image-to-video': {
    output: 'video',
    options_schema: {
      type: 'object',
      properties: {
        resize_factor: { type: 'integer', enum: [1, 2, 4], default: 1, title: 'Resize factor', description: 'Divide the picture’s size by this before animating it (faster, smaller video).' },
        nosmooth: { type: 'boolean', default: false, title: 'No smoothing', description: 'Let the jaw follow the loudness frame by frame, without easing.' },
        pads: {
          type: 'array',
          items: { type: 'integer' },
          minItems: 4,
          maxItems: 4,
          default: [0, 0, 0, 0],
          title: 'Pads',
          description: 'Pixels added around the face: top, bottom, left, right (bottom lengthens the moving jaw).',
        },
      },
    },
  },
  'images-to-3d': {
    output: '3d',
    options_schema: {
      type: 'object',
      properties: {
        process_res: { type: 'integer', minimum: 16, maximum: 2048, default: 504, title: 'Relief resolution', description: 'For relief panels: the longer side each image is brought to.' },
        num_max_points: { type: 'integer', minimum: 100, maximum: 5_000_000, default: 200_000, title: 'Most points', description: 'For relief panels: at most this many points in the model.' },
      },
    },
  },
  'text-to-speech': {
    output: 'audio',
    options_schema: {
      type: 'object',
      properties: { voice: { type: 'string', enum: [...VOICES], default: 'slt', title: 'Voice', description: 'One of CMU Flite’s built-in English voices.' } },
    },
    examples: [
      { label: 'A greeting', prompt: 'Hello! This gateway reads your text aloud.', options: { voice: 'slt' } },
      { label: 'A forecast, in another voice', prompt: 'Tomorrow will be cloudy, with a chance of rain in the afternoon.', options: { voice: 'rms' } },
    ],
  },
  'speech-to-text': { output: 'text' },
};

/** An image of printed words to read, made here (no photograph ships with the package): the OCR space's example. */
async function signImage(words: string): Promise<string> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="130"><rect width="100%" height="100%" fill="white"/><text x="24" y="84" font-family="DejaVu Sans, sans-serif" font-size="44" fill="black">${words}</text></svg>`;
  const png = await sharp(Buffer.from(svg)).greyscale().png({ palette: true, colours: 4 }).toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** What the built-in worker of `space` declares when it registers (nothing for a space it does not know). */
export async function demoPresentation(space: string): Promise<SpaceDeclaration | undefined> {
  const presentation = PRESENTATIONS[space];
  if (space !== 'ocr' || !presentation) return presentation;
  return { ...presentation, examples: [{ label: 'A printed line', files: [{ url: await signImage('Open late, 1969 Gateway Road'), name: 'sign.png', input: 'image' }] }] };
}
