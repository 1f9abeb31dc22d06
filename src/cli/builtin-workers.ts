import { spawn, type ChildProcess } from 'node:child_process';
import { moduleFile, nodeArgsFor } from '../runtime/module-file.ts';

const MAIN = moduleFile(import.meta.dirname, '..', 'workers', 'main');
const RESTART_DELAY_MS = 2000;

/**
 * Runs the built-in workers (src/workers/main.ts) as a child process connected to this gateway,
 * restarting it if it dies. Returns the function that stops it.
 */
export function startBuiltinWorkers(gatewayUrl: string, adminToken: string, log: (line: string) => void): () => Promise<void> {
  let child: ChildProcess | undefined;
  let stopped = false;
  const launch = () => {
    const proc = spawn(process.execPath, [...nodeArgsFor(MAIN), gatewayUrl], {
      stdio: ['ignore', 'ignore', 'inherit'],
      // It talks to this very process over loopback; with --tls-cert that certificate may be one
      // Node does not trust (self-signed), and there is no one in between to trust or distrust.
      // The token goes in the environment: a command line is visible to every local user.
      env: { ...process.env, SPACEPORT_TOKEN: adminToken, ...(gatewayUrl.startsWith('https:') && { NODE_TLS_REJECT_UNAUTHORIZED: '0' }) },
    });
    child = proc;
    proc.on('exit', (code, signal) => {
      if (stopped) return;
      log(`built-in workers exited (${code ?? signal}); restarting in ${RESTART_DELAY_MS / 1000} s`);
      setTimeout(() => !stopped && launch(), RESTART_DELAY_MS).unref();
    });
  };
  launch();
  return async () => {
    stopped = true;
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
}
