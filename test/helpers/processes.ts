import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { until } from './latch.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code once the process has ended (-1 if a signal ended it). */
  exited(): Promise<number>;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs a TypeScript file of this repo as ONE real node process (through src/runtime's loader, as
 * production runs it; a CLI wrapper would put the script in a grandchild that a SIGKILL would miss), capturing stdout+stderr.
 */
export function runTs(file: string, args: string[], env: Record<string, string> = {}): Proc {
  return run(process.execPath, ['--import', join(ROOT, 'src/runtime/register.mjs'), join(ROOT, file), ...args], env, file);
}

/** `python3 -u …args` (unbuffered) in the repo root, under the machine's python3. */
export function runPython(args: string[], env: Record<string, string> = {}, interpreter = 'python3'): Proc {
  return run(interpreter, ['-u', ...args], env, args.join(' '));
}

/**
 * The first python3 (on the PATH, then Debian's) that can import these modules (scripts/setup.sh
 * makes sure one can), or undefined.
 */
export function pythonWith(modules: string): string | undefined {
  return ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0);
}

/** Any command (in the repo root unless `cwd`), with the same handle (output, waitFor, exited, kill). */
export function runCommand(command: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): Proc {
  return run(command, args, env, `${command} ${args.join(' ')}`, cwd);
}

function run(command: string, args: string[], env: Record<string, string>, file: string, cwd = ROOT): Proc {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    exited: () => exited.then(() => child.exitCode ?? -1),
    async waitFor(text, timeoutMs = 20_000) {
      return until(
        `${file} to print ${text}`,
        () => {
          const m = typeof text === 'string' ? (out.includes(text) ? text : null) : out.match(text)?.[0];
          return m ?? undefined;
        },
        timeoutMs,
      );
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export function tokenWorker(wsUrl: string, space: string, token: string, opts: { slots?: number; tokens?: number; delay?: number; name?: string } = {}): Proc {
  return runTs('test/fixtures/token-worker.ts', [
    wsUrl,
    space,
    token,
    '--slots',
    String(opts.slots ?? 1),
    '--tokens',
    String(opts.tokens ?? 5),
    '--delay',
    String(opts.delay ?? 50),
    '--name',
    opts.name ?? 'w',
  ]);
}

/** `spaceport serve` as a real process on a free port with fast intervals; its URL comes from the listening line. */
export async function serveProcess(dataDir: string, adminToken: string, env: Record<string, string> = {}, port = 0): Promise<{ proc: Proc; url: string }> {
  const proc = runTs('src/cli/main.ts', ['serve', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir, ...(env.SPACEPORT_DEMO === '1' ? [] : ['--no-demo'])], {
    SPACEPORT_ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'warn',
    SPACEPORT_LEASE_MS: '1500',
    SPACEPORT_HEARTBEAT_MS: '300',
    SPACEPORT_SWEEP_MS: '100',
    ...env,
  });
  const line = await proc.waitFor(/\{"event":"listening"[^\n]*\}/);
  return { proc, url: JSON.parse(line).url };
}
