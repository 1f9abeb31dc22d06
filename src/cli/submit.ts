import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SpaceportClient, nodeTransport, type JobHandle } from '../sdk/node.ts';
import { mimeOf } from './mime.ts';

export interface SubmitFlags {
  host: string;
  token?: string;
  prompt?: string;
  file: string[];
  option: string[];
  out?: string;
  json?: boolean;
}

/** `k=v` → { k: v }, with v parsed as JSON when it is JSON (numbers, booleans) and kept as text otherwise. */
export function parseOptions(pairs: string[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--option expects key=value, not "${pair}".`);
    const value = pair.slice(eq + 1);
    try {
      options[pair.slice(0, eq)] = JSON.parse(value);
    } catch {
      options[pair.slice(0, eq)] = value;
    }
  }
  return options;
}

function progressBar(fraction: number, message = ''): string {
  const width = 24;
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${message}`.slice(0, 100).padEnd(100);
}

/**
 * Why a connection was refused, in words: a WebSocket client sees only that the upgrade failed, so
 * the same credentials are tried on plain HTTP, which says (401 unauthorized).
 */
async function refusal(host: string, token: string | undefined, failure: unknown): Promise<Error> {
  const http = host.replace(/^ws/, 'http').replace(/\/+$/, '');
  const res = await fetch(`${http}/v1/me`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).catch(() => null);
  if (res?.status === 401) return new Error('unauthorized: the API key (--token or SPACEPORT_TOKEN) is not valid.');
  if (!res) return new Error(`could not reach ${http} (is the gateway running there?)`);
  return failure instanceof Error ? failure : new Error(String(failure));
}

/** Positions are 1-based wherever people read them (the protocol's are 0-based: jobs ahead). */
const place = (position: number | null) => (position === null ? '?' : String(position + 1));

/**
 * `spaceport submit SPACE`: submit, show the queue and progress on stderr, stream tokens to stdout.
 * Returns the exit code. On a terminal the progress bar redraws its own line only while no token
 * has been written: after that the tokens are the progress, and their line is never overwritten.
 */
export async function submit(space: string, flags: SubmitFlags): Promise<number> {
  const err = process.stderr;
  const tty = err.isTTY === true;
  const sharedTerminal = tty && process.stdout.isTTY === true;
  const files = await Promise.all(flags.file.map(async (path) => ({ name: basename(path), mime: mimeOf(path), data: await readFile(path) })));
  const token = flags.token ?? process.env.SPACEPORT_TOKEN;
  const client = new SpaceportClient({ url: flags.host, token, transport: nodeTransport });
  try {
    await client.connect();
  } catch (e) {
    client.close();
    throw await refusal(flags.host, token, e);
  }
  let job: JobHandle;
  try {
    job = await client.submit(space, { ...(flags.prompt !== undefined && { prompt: flags.prompt }), options: parseOptions(flags.option), files });
  } catch (e) {
    client.close();
    const code = (e as { code?: string }).code;
    throw new Error(code === 'space_not_found' ? `space not found: no space is named "${space}".` : `${code ?? 'error'}: ${(e as Error).message}`);
  }
  err.write(`job ${job.id} accepted, number ${place(job.position)} in the queue\n`);
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    err.write(`\ncancelling ${job.id}…\n`);
    void job.cancel().catch(() => {});
  });

  let streamed = false;
  let barShown = false;
  for await (const e of job) {
    if ((e.type === 'queued' && e.seq > 1) || e.type === 'position')
      err.write(`${e.type === 'queued' && e.reason ? `requeued (${e.reason}), ` : ''}number ${place(e.position)} in the queue${e.eta_ms !== null ? `, about ${Math.ceil(e.eta_ms / 1000)} s` : ''}\n`);
    else if (e.type === 'started') err.write(`started on ${e.worker}\n`);
    else if (e.type === 'progress' && tty && !(sharedTerminal && streamed)) {
      err.write(progressBar(e.progress, e.message));
      barShown = true;
    } else if (e.type === 'token') {
      // The bar's line ends before the first token, so neither overwrites the other.
      if (barShown && !streamed && sharedTerminal) err.write('\n');
      process.stdout.write(e.text);
      streamed = true;
    } else if (e.type === 'gap') err.write(`\n(events ${e.after_seq + 1}..${e.first_seq - 1} were lost in a reconnect)\n`);
    else if (e.type === 'reset') err.write('\n(the job started again: what follows replaces what came before)\n');
  }
  if (barShown && !(sharedTerminal && streamed)) err.write('\n');
  try {
    const { data, files: results } = await job.result();
    if (streamed) process.stdout.write('\n');
    if (!streamed || flags.json) process.stdout.write(`${JSON.stringify(data, null, flags.json ? 0 : 2)}\n`);
    if (results.length > 0) {
      const dir = flags.out ?? '.';
      await mkdir(dir, { recursive: true });
      for (const f of results) {
        const { bytes } = await client.download(f.id);
        const path = join(dir, basename(f.name));
        await writeFile(path, bytes);
        err.write(`wrote ${path} (${bytes.length} bytes, ${f.mime})\n`);
      }
    }
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    err.write(`job ${job.id} ${code}: ${(e as Error).message}\n`);
    return interrupted ? 130 : 1;
  } finally {
    client.close();
  }
}
