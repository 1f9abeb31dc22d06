import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

export interface ProgramOptions {
  cwd: string;
  signal: AbortSignal;
  /** Each line of its output, as it comes. */
  onLine?: (line: string) => void;
  /** Its output as it comes, as bytes (instead of lines). */
  onData?: (chunk: Buffer) => void;
  /** Writes its input (then ends it); write errors are ignored — the program's exit says why. */
  feed?: (stdin: Writable) => Promise<void> | void;
  env?: Record<string, string>;
}

/**
 * Runs a program to its end: its input from `feed`, its output to `onLine` or `onData`, SIGKILL on
 * `signal` (a cancel). Rejects with `processing_error: <name> failed …` and the end of its stderr
 * when it exits with an error, and with the abort's reason when cancelled.
 */
export function runProgram(program: string, args: string[], options: ProgramOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const reads = options.onLine !== undefined || options.onData !== undefined;
    const child = spawn(program, args, {
      cwd: options.cwd,
      stdio: [options.feed ? 'pipe' : 'ignore', reads ? 'pipe' : 'ignore', 'pipe'],
      ...(options.env && { env: { ...process.env, ...options.env } }),
    });
    let stderr = '';
    let pending = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
    if (options.onData) child.stdout!.on('data', options.onData);
    else if (options.onLine) {
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        pending += c;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) options.onLine?.(line);
      });
    }
    const abort = () => child.kill('SIGKILL');
    options.signal.addEventListener('abort', abort, { once: true });
    child.on('error', reject);
    child.on('close', (code) => {
      options.signal.removeEventListener('abort', abort);
      if (options.signal.aborted) return reject(options.signal.reason);
      if (pending) options.onLine?.(pending);
      if (code !== 0) return reject(new Error(`processing_error: ${program.split('/').at(-1)} failed (${code}): ${stderr.trim().split('\n').slice(-2).join(' | ')}`));
      resolve();
    });
    if (options.feed) {
      const stdin = child.stdin!;
      stdin.on('error', () => {});
      // A feed that fails stops the program, and its error is the run's.
      Promise.resolve()
        .then(() => options.feed!(stdin))
        .then(
          () => stdin.end(),
          (err: unknown) => {
            reject(err);
            child.kill('SIGKILL');
          },
        );
    }
  });
}

/** Resolves when `stdin` takes more input after a write that filled it, or is gone (its program exited). */
export function drained(stdin: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stdin.off('drain', done).off('close', done);
      resolve();
    };
    stdin.once('drain', done).once('close', done);
  });
}
