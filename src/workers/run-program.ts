import { spawn } from 'node:child_process';

/**
 * Runs a program to its end: each line of its output to `onLine` as it comes, SIGKILL on `signal`
 * (a cancel). Rejects with `processing_error: <name> failed …` and the end of its stderr when it
 * exits with an error, and with the abort's reason when cancelled.
 */
export function runProgram(program: string, args: string[], options: { cwd: string; signal: AbortSignal; onLine?: (line: string) => void; env?: Record<string, string> }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(options.env && { env: { ...process.env, ...options.env } }) });
    let stderr = '';
    let pending = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      pending += c;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) options.onLine?.(line);
    });
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
  });
}
