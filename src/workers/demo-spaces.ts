import type { Handler } from '../sdk/worker/serve.ts';
import { DEMO_SPACES, type DemoSpace } from './demo-space-list.ts';
import { lipSyncHandler } from './lip-sync/handler.ts';
import { motionHandler } from './motion/handler.ts';
import { ocrHandler } from './ocr/handler.ts';
import { reconstructionHandler } from './reconstruction/handler.ts';
import { speechToTextHandler } from './speech/speech-to-text.ts';
import { textToSpeechHandler } from './speech/text-to-speech.ts';
import { textGenerationHandler } from './text-generation/handler.ts';

export { DEMO_SPACES, type DemoSpace } from './demo-space-list.ts';

/** The handler that serves each demo space (made when its worker starts). */
const HANDLERS: Record<string, () => Handler> = {
  'text-generation': () => textGenerationHandler(),
  ocr: () => ocrHandler(),
  motion_detector: () => motionHandler(),
  'audio-image-to-video': () => lipSyncHandler(),
  'images-to-3d': () => reconstructionHandler(),
  'text-to-speech': () => textToSpeechHandler(),
  'speech-to-text': () => speechToTextHandler(),
};

export function handlerFor(space: DemoSpace): Handler {
  const make = HANDLERS[space.name];
  if (!make) throw new Error(`no built-in handler for the demo space ${space.name}`);
  return make();
}

// Every demo space has its handler (checked when the workers start, not when a job arrives).
for (const space of DEMO_SPACES) if (!HANDLERS[space.name]) throw new Error(`no built-in handler for the demo space ${space.name}`);
