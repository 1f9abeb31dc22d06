import type { Dialect } from '../server/dialect.ts';
import { frames } from './frames/dialect.ts';
import { lipSync } from './lip-sync/dialect.ts';
import { openAi } from './openai/dialect.ts';
import { reconstruct } from './reconstruct/dialect.ts';
import { tokenStream } from './token-stream/dialect.ts';
import { websocketSpaces } from './websocket-spaces/dialect.ts';

/**
 * The documented APIs Spaceport also speaks (shared/seeds, docs/dialects.md), each a thin
 * translation onto the same core, in the order their endpoints are matched: exact paths before
 * the /ws/{client_id} pattern of the frames dialect. The CLI hands this list to the gateway.
 */
export const DIALECTS: readonly Dialect[] = [websocketSpaces, tokenStream, lipSync, reconstruct, frames, openAi];
