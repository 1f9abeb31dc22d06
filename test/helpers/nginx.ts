import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './latch.ts';
import { freePort } from './redis.ts';

const DEPLOY_CONF = join(import.meta.dirname, '..', '..', 'deploy', 'nginx-spaceport.conf');

/**
 * Debian's nginx in front of gateway instances, configured with the repository's own
 * deploy/nginx-spaceport.conf (ports rewritten), so the documented config is the tested one.
 */
export async function startNginx(upstreamPorts: number[]): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'spaceport-nginx-'));
  const port = await freePort();
  const site = readFileSync(DEPLOY_CONF, 'utf8')
    .replace(/(upstream spaceport \{)[^}]*\}/, `$1\n${upstreamPorts.map((p) => `    server 127.0.0.1:${p};`).join('\n')}\n}`)
    .replace('listen 8000;', `listen 127.0.0.1:${port};`);
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;\nmaster_process off;\nworker_processes 1;\nerror_log ${join(dir, 'error.log')} warn;\npid ${join(dir, 'nginx.pid')};\n` +
      `events { worker_connections 4096; }\nhttp {\n  access_log off;\n  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}\n${site}\n}\n`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  await until(
    `nginx to listen (${out})`,
    async () =>
      (await fetch(`${url}/health`).then(
        (r) => r.status > 0,
        () => false,
      )) || undefined,
    10_000,
  );
  return {
    url,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
