// Runs Spaceport's TypeScript directly: `node --import ./src/runtime/register.mjs src/cli/main.ts`.
// Plain JavaScript, because it is what makes TypeScript loadable. See ts-hooks.mjs for why this
// exists instead of tsx.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-hooks.mjs', import.meta.url);
