#!/usr/bin/env node
// Runs the TypeScript CLI through our loader (src/runtime), so `npx spaceport` works from a checkout
// without a build step. The CLI runs in this same process: signals reach it directly.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('../src/runtime/ts-hooks.mjs', import.meta.url);
await import('../src/cli/main.ts');
