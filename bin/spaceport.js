#!/usr/bin/env node
// The `spaceport` command. In a checkout it runs the TypeScript through our loader (src/runtime),
// so no build step is needed; the installed package runs its compiled dist/. Either way the CLI
// runs in this same process: signals reach it directly.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const checkout = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(checkout)) {
  process.setSourceMapsEnabled(true);
  register('../src/runtime/ts-hooks.mjs', import.meta.url);
  await import(checkout.href);
} else {
  await import('../dist/cli/main.js');
}
