import type { Dialect } from '../../server/dialect.ts';
import { openAiRoutes } from './routes.ts';

/** OpenAI's chat and text completions and model list over HTTP (docs/openai.md); no WebSocket endpoint. */
export const openAi: Dialect = { name: 'openai', routes: openAiRoutes };
