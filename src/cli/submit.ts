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

/** `spaceport submit SPACE`: submit, show the queue and progress on stderr, stream tokens to stdout. Returns the exit code. */
export async function submit(space: string, flags: SubmitFlags): Promise<number> {
  const err = process.stderr;
  const tty = err.isTTY === true;
  const files = await Promise.all(flags.file.map(async (path) => ({ name: basename(path), mime: mimeOf(path), data: await readFile(path) })));
  const client = new SpaceportClient({ url: flags.host, token: flags.token ?? process.env.SPACEPORT_TOKEN, transport: nodeTransport });
  await client.connect();
  let job: JobHandle;
  try {
    job = await client.submit(space, { ...(flags.prompt !== undefined && { prompt: flags.prompt }), options: parseOptions(flags.option), files });
  } catch (e) {
    client.close();
    throw e;
  }
  err.write(`job ${job.id} accepted, position ${job.position ?? '?'} in the queue\n`);
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    err.write(`\ncancelling ${job.id}…\n`);
    void job.cancel().catch(() => {});
  });

  let streamed = false;
  let barShown = false;
  for await (const e of job) {
    if (e.type === 'queued' && e.seq > 1) err.write(`${e.reason ? `requeued (${e.reason}), ` : ''}position ${e.position}${e.eta_ms !== null ? `, about ${Math.ceil(e.eta_ms / 1000)} s` : ''}\n`);
    else if (e.type === 'started') err.write(`started on ${e.worker}\n`);
    else if (e.type === 'progress' && tty) {
      err.write(progressBar(e.progress, e.message));
      barShown = true;
    } else if (e.type === 'token') {
      process.stdout.write(e.text);
      streamed = true;
    } else if (e.type === 'gap') err.write(`\n(events ${e.after_seq + 1}..${e.first_seq - 1} were lost in a reconnect)\n`);
  }
  if (barShown) err.write('\n');
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
