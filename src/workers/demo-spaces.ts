import type { Handler } from '../sdk/worker/serve.ts';
import { textGenerationHandler } from './text-generation/handler.ts';

/** A space `npm start` creates (if missing) and serves with a built-in worker. */
export interface DemoSpace {
  name: string;
  description: string;
  inputs: Record<string, true | { max_bytes?: number; mime?: string[] }>;
  timeout_s?: number;
  slots: number;
  handler: () => Handler;
}

export const DEMO_SPACES: DemoSpace[] = [
  {
    name: 'text-generation',
    description: 'Continues your text, one character at a time, with a 420K-parameter character-level transformer trained on Jane Austen (models/charlm). Small and fast, not smart.',
    inputs: { prompt: true },
    slots: 2,
    handler: () => textGenerationHandler(),
  },
];
