import { readFile } from 'node:fs/promises';
import type { SpaceDeclaration } from '../protocol/space-presentation.ts';
import { serve, type Handler, type WorkerLogEvent } from '../sdk/worker/serve.ts';
import { execHandler } from './handlers/exec-handler.ts';
import { moduleHandler } from './handlers/module-handler.ts';
import { openAiHandler } from './handlers/openai-handler.ts';

export interface WorkerFlags {
  host: string;
  spaces: string;
  token?: string;
  slots: string;
  name?: string;
  exec?: string;
  handler?: string;
  openai?: string;
  model?: string;
  apiKey?: string;
  declare?: string;
  json?: boolean;
}

async function pickHandler(flags: WorkerFlags): Promise<Handler> {
  const modes = [flags.exec, flags.handler, flags.openai].filter((m) => m !== undefined);
  if (modes.length !== 1) throw new Error('Give exactly one of --exec "command", --handler ./file.js or --openai BASE_URL.');
  if (flags.exec !== undefined) return execHandler(flags.exec);
  if (flags.handler !== undefined) return moduleHandler(flags.handler);
  if (!flags.model) throw new Error('--openai needs --model NAME.');
  return openAiHandler({ baseUrl: flags.openai!, model: flags.model, apiKey: flags.apiKey ?? process.env.OPENAI_API_KEY });
}

/** One line a person can follow for each thing that happens. */
function describe(e: WorkerLogEvent): string {
  const time = new Date().toISOString().slice(11, 19);
  switch (e.type) {
    case 'connecting':
      return `${time} connecting to ${e.url}`;
    case 'registered':
      return `${time} registered as ${e.worker} with ${e.slots} slot(s): ${e.spaces.map((s) => `${s.name} (${s.id})`).join(', ')}${reattachedNote(e.reattached)}`;
    case 'job':
      return `${time} job ${e.job} received (space ${e.space}, attempt ${e.attempt})`;
    case 'done':
      return `${time} job ${e.job} ${e.outcome === 'result' ? 'finished' : e.outcome === 'error' ? `failed: ${e.message}` : 'cancelled'} in ${(e.ms / 1000).toFixed(2)} s`;
    case 'reconnecting':
      return `${time} connection lost (${e.reason}); reconnecting in ${(e.inMs / 1000).toFixed(1)} s`;
    case 'draining':
      return `${time} draining: finishing ${e.running} running job(s), taking no new ones`;
    case 'error':
      return `${time} error: ${e.message}`;
  }
}

export async function worker(flags: WorkerFlags): Promise<void> {
  const token = flags.token ?? process.env.SPACEPORT_TOKEN;
  if (!token) throw new Error('A worker token is needed: --token T or SPACEPORT_TOKEN.');
  const handler = await pickHandler(flags);
  const running = serve(
    {
      host: flags.host,
      spaces: flags.spaces
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      token,
      slots: Number(flags.slots),
      ...(flags.name && { name: flags.name }),
      // Checked by the gateway when the worker registers (a bad one is refused there, with where).
      ...(flags.declare && { declare: JSON.parse(await readFile(flags.declare, 'utf8')) as Record<string, SpaceDeclaration> }),
      onLog: (e) => process.stdout.write(`${flags.json ? JSON.stringify({ time: new Date().toISOString(), ...e }) : describe(e)}\n`),
    },
    handler,
  );
  await running.ready; // a refused registration rejects: main prints it and exits 1
}

/** After a reconnect: the jobs kept, each with what the gateway had of its messages and what went again. */
function reattachedNote(jobs: Array<{ job: string; received?: number; sentAgain?: number }>): string {
  if (jobs.length === 0) return '';
  return `; re-attached ${jobs.map((j) => (j.received === undefined ? j.job : `${j.job} (gateway had ${j.received} message(s), sent again ${j.sentAgain})`)).join(', ')}`;
}
