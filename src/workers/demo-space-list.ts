/**
 * The demo spaces as data: what `spaceport serve` creates before it says it is ready, and what the
 * built-in workers (demo-spaces.ts gives each its handler) serve. No model is loaded by importing it.
 */

import { findOnPath } from './programs.ts';

/** A space `npm start` creates (if missing) and serves with a built-in worker. */
export interface DemoSpace {
  name: string;
  description: string;
  inputs: Record<string, true | { max_bytes?: number; mime?: string[] }>;
  timeout_s?: number;
  /** Frames and results others may watch (the frames document's topics). */
  visibility?: 'public' | 'owner';
  slots: number;
  /** A program the worker runs, and how to install it: a machine without it says so in the description. */
  needs?: { program: string; install: string; without?: string };
}

/**
 * Every image-taking demo space accepts the same: any image up to 10 MiB. Their jobs are public:
 * the frames document's topics (`plugin_<name>`, `all`) are for watching other clients' frames.
 */
const IMAGE_INPUT = { max_bytes: 10 * 1024 * 1024, mime: ['image/*'] };

export const DEMO_SPACES: DemoSpace[] = [
  {
    name: 'text-generation',
    description: 'Continues your text, one character at a time, with a 420K-parameter character-level transformer trained on Jane Austen (models/charlm). Small and fast, not smart.',
    inputs: { prompt: true },
    slots: 2,
  },
  {
    name: 'ocr',
    description: 'Reads the text in an image (Tesseract LSTM, English) and returns it with word boxes and confidences.',
    inputs: { image: IMAGE_INPUT },
    visibility: 'public',
    slots: 1,
  },
  {
    name: 'motion_detector',
    description: "Compares each frame with the same client's previous one: the fraction of pixels that changed and the box around them.",
    inputs: { image: IMAGE_INPUT },
    visibility: 'public',
    slots: 1, // one at a time: each frame is compared with the one before it
  },
  {
    name: 'audio-image-to-video',
    description:
      "Makes a portrait speak your audio: finds the face's mouth and chin (Human face mesh), opens the jaw with the audio's loudness frame by frame, and encodes an MP4 (H.264/AAC, 25 fps). The mouth opens and closes with the speech; its shapes do not follow the sounds (not Wav2Lip).",
    inputs: { image: IMAGE_INPUT, audio: { max_bytes: 50 * 1024 * 1024, mime: ['audio/*'] } },
    visibility: 'public',
    timeout_s: 300,
    slots: 1,
  },
  {
    name: 'images-to-3d',
    description:
      'Reconstructs a scene from 8 or more overlapping photographs with COLMAP (SIFT features, exhaustive matching, incremental mapping): a GLB of its coloured 3D points and the cameras where they stood. One portrait gives the face as a textured 3D mesh (Human FaceMesh). Incremental generates send what each new model adds. Other inputs get relief panels (depth from brightness; the result says which).',
    inputs: { image: IMAGE_INPUT },
    visibility: 'public',
    timeout_s: 600,
    slots: 1,
    needs: { program: 'colmap', install: 'apt-get install colmap', without: 'it makes relief panels only' },
  },
  {
    name: 'text-to-speech',
    description: 'Reads your text aloud as a WAV file with CMU Flite, English, in a few milliseconds per second of speech. Option voice: slt (default), kal, kal16, awb, rms or awb_time.',
    inputs: { prompt: true },
    slots: 2,
    needs: { program: 'flite', install: 'apt-get install flite' },
  },
  {
    name: 'speech-to-text',
    description:
      'Writes down what is said in your audio with CMU PocketSphinx (US English): the words stream as they are recognised, each with its time and confidence. A small 2010s model: expect mistakes.',
    inputs: { audio: { max_bytes: 25 * 1024 * 1024, mime: ['audio/*'] } },
    timeout_s: 300,
    slots: 1,
    needs: { program: 'pocketsphinx_continuous', install: 'apt-get install pocketsphinx pocketsphinx-en-us' },
  },
];

/** The body of `POST /v1/admin/spaces` that creates a demo space. */
export function demoSpaceBody(space: DemoSpace): Record<string, unknown> {
  const needs = space.needs;
  const missing = needs && !findOnPath(needs.program) ? ` Not available on this machine: ${needs.program} is not installed (${needs.install}); ${needs.without ?? 'its jobs fail until it is'}.` : '';
  return {
    name: space.name,
    description: space.description + missing,
    inputs: space.inputs,
    ...(space.timeout_s && { timeout_s: space.timeout_s }),
    ...(space.visibility && { visibility: space.visibility }),
  };
}

/** Creates the demo spaces that do not exist yet, through the gateway's admin API. */
export async function createDemoSpaces(host: string, adminToken: string): Promise<void> {
  for (const space of DEMO_SPACES) {
    const res = await fetch(`${host}/v1/admin/spaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(demoSpaceBody(space)),
    });
    if (res.status !== 201 && res.status !== 409) throw new Error(`creating demo space ${space.name}: ${res.status} ${await res.text()}`);
  }
}
