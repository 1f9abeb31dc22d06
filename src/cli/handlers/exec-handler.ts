import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Handler } from '../../sdk/worker/serve.ts';

/** How long a cancelled command gets after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * `spaceport worker --exec "command args"`: one process per job (run by /bin/sh, so pipes work).
 * stdin gets the job as one JSON object, input files written to a temp dir and named by `path`.
 * Every stdout line streams as a token the moment it is printed; if the last line is a JSON value it
 * becomes the result's data instead, else the result is `{ text }` (all output). So a line that
 * parses as JSON is held until the next one comes (or the command ends): it may be the result. A non-zero exit fails the job with the
 * end of stderr. Cancel kills the process.
 */
export function execHandler(command: string): Handler {
  return async (job, ctx) => {
    const dir = await mkdtemp(join(tmpdir(), 'spaceport-job-'));
    try {
      const files = await Promise.all(
        job.files.map(async (f, i) => {
          const path = join(dir, `${i}-${f.name.replace(/[^\w.-]/g, '_')}`);
          await writeFile(path, f.data);
          return { name: f.name, mime: f.mime, size: f.size, input: f.input, path };
        }),
      );
      const input = { id: job.id, space: job.space, attempt: job.attempt, user: job.user, prompt: job.prompt, options: job.options, files };
      return await run(command, JSON.stringify(input) + '\n', ctx);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

function run(command: string, stdin: string, ctx: Parameters<Handler>[1]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let held: string | undefined; // the newest line if it is JSON: a token, unless it turns out to be the last
    let pendingText = '';
    let output = '';
    let stderr = '';
    const onLine = (line: string) => {
      if (held !== undefined) ctx.token(held + '\n');
      held = undefined;
      if (isJson(line)) held = line;
      else ctx.token(line + '\n');
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      pendingText += chunk;
      const lines = pendingText.split('\n');
      pendingText = lines.pop()!;
      lines.forEach(onLine);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    child.stdin.on('error', () => {}); // a command that ignores stdin may close it early
    child.stdin.end(stdin);

    const kill = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    };
    ctx.signal.addEventListener('abort', kill, { once: true });
    child.on('error', (err) => reject(new Error(`could not run "${command}": ${err.message}`)));
    child.on('close', (code, signal) => {
      ctx.signal.removeEventListener('abort', kill);
      if (ctx.signal.aborted) return reject(ctx.signal.reason);
      if (pendingText) onLine(pendingText);
      if (code !== 0) {
        if (held !== undefined) ctx.token(held + '\n'); // its output so far still reaches the client
        const why = stderr.trim().split('\n').slice(-5).join('\n') || `exit ${code ?? signal}`;
        return reject(new Error(`command failed (${code ?? signal}): ${why}`));
      }
      resolve(held === undefined ? { text: output } : JSON.parse(held));
    });
  });
}

function isJson(line: string): boolean {
  const text = line.trim();
  if (text === '') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
