import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '../../sdk/worker/serve.ts';

/** `spaceport worker --handler ./file.js`: the module's default export (or `handler`) is the SDK handler. */
export async function moduleHandler(file: string): Promise<Handler> {
  const mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown; handler?: unknown };
  const handler = mod.default ?? mod.handler;
  if (typeof handler !== 'function') throw new Error(`${file} must export a handler function (default export or "handler").`);
  return handler as Handler;
}
