import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_NODE_BYTES } from '../../src/engine/redis/redis-settings.ts';
import { parse as parseYaml } from 'yaml';
import { readDockerfile, stageEnv, stepsOf, type Stage } from '../helpers/dockerfile.ts';
import { until } from '../helpers/latch.ts';
import { runCommand, type Proc } from '../helpers/processes.ts';

/**
 * How Spaceport reaches people: the Docker image and the npm package, which the image is built
 * from. No Docker engine runs here, so the image's file tree is built another way, by the
 * Dockerfile's own steps: its build stage's COPY set copied into an empty directory, its
 * `npm pack` run there; the tarball installed into another empty directory as the runtime stage
 * does; then the CMD run with the image's environment. The npm package tests use that same
 * tarball — a user's `npm install spaceport` gets the same.
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'spaceport-dist-'));
const [buildStage, runStage] = readDockerfile(join(ROOT, 'deploy', 'Dockerfile')) as [Stage, Stage];
const app = join(dir, 'app');
let listing: string[];
const procs: Proc[] = [];

/** The build stage, step by step, in `dir/src` (its WORKDIR) — `npm ci` stands in as the checkout's node_modules. */
async function buildStageTree(): Promise<string> {
  expect(stepsOf(buildStage, 'WORKDIR')).toEqual(['/src']);
  const src = join(dir, 'src');
  const pkg = join(dir, 'pkg');
  mkdirSync(src);
  for (const step of buildStage.steps) {
    if (step.op === 'COPY') {
      const parts = step.args.split(' ');
      const dest = parts.pop()!;
      for (const from of parts) cpSync(join(ROOT, from), dest.endsWith('/') ? join(src, dest, basename(from)) : join(src, dest), { recursive: true });
    } else if (step.op === 'RUN' && step.args.startsWith('npm ci')) {
      symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
    } else if (step.op === 'RUN') {
      expect(step.args).toBe('mkdir /pkg && npm pack --pack-destination /pkg');
      mkdirSync(pkg);
      const packed = await run('npm', ['pack', '--json', '--pack-destination', pkg], { cwd: src, maxBuffer: 16 * 1024 * 1024 });
      listing = (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    }
  }
  const [tarball] = readdirSync(pkg);
  return join(pkg, tarball!);
}

/** The runtime stage's install, in `app` (its WORKDIR). */
async function runtimeStageTree(tarball: string): Promise<void> {
  expect(stepsOf(runStage, 'WORKDIR')).toEqual(['/app']);
  expect(stepsOf(runStage, 'COPY')).toEqual(['--from=build /pkg /pkg']);
  const [apt, install] = stepsOf(runStage, 'RUN') as [string, string];
  expect(apt).toMatch(/apt-get install -y --no-install-recommends ffmpeg/);
  expect(execFileSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' })).toContain('ffmpeg'); // as the image has it
  expect(install).toMatch(/^npm install --omit=dev --no-audit --no-fund \/pkg\/spaceport-\*\.tgz/);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uses-spaceport', private: true, type: 'module' }));
  await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, maxBuffer: 16 * 1024 * 1024 });
}

beforeAll(async () => {
  await runtimeStageTree(await buildStageTree());
}, 300_000);
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the Docker image (deploy/Dockerfile), built without Docker', () => {
  it('runs as an unprivileged user with a health check, on the port and data directory it declares', () => {
    expect(buildStage).toMatchObject({ from: 'node:20-bookworm-slim', name: 'build' });
    expect(runStage.from).toBe('node:20-bookworm-slim');
    expect(stepsOf(runStage, 'USER')).toEqual(['node']);
    const env = stageEnv(runStage);
    expect(env).toMatchObject({ PORT: '8000', SPACEPORT_DATA: '/data' });
    expect(stepsOf(runStage, 'EXPOSE')).toEqual([env.PORT]);
    expect(stepsOf(runStage, 'VOLUME')).toEqual([env.SPACEPORT_DATA]);
    expect(stepsOf(runStage, 'HEALTHCHECK')).toHaveLength(1);
  });

  it('starts its CMD with its environment: the gateway, the demo spaces with their workers, the web UI and the browser SDK; its health check passes', async () => {
    const [command, ...args] = JSON.parse(stepsOf(runStage, 'CMD')[0]!) as string[];
    const data = join(dir, 'data');
    const env = { ...stageEnv(runStage), PORT: '0', HOST: '127.0.0.1', SPACEPORT_DATA: data };
    const serve = runCommand(command!, args, env, app);
    procs.push(serve);
    const url = JSON.parse(await serve.waitFor(/\{"event":"listening"[^\n]*\}/, 60_000)).url as string;
    const spaces = await until(
      'the seven demo spaces to have their workers',
      async () => {
        const list = ((await (await fetch(`${url}/v1/spaces`)).json()) as { spaces: Array<{ space: string; connected: boolean }> }).spaces;
        return list.length === 7 && list.every((s) => s.connected) ? list : undefined;
      },
      60_000,
    );
    expect(spaces.map((s) => s.space).sort()).toEqual(['audio-image-to-video', 'images-to-3d', 'motion_detector', 'ocr', 'speech-to-text', 'text-generation', 'text-to-speech']);
    expect(readFileSync(join(data, 'admin-token'), 'utf8').trim()).toMatch(/^spa_/);
    expect(await (await fetch(`${url}/`)).text()).toContain('/ui/main.js');
    expect((await fetch(`${url}/ui/main.js`)).status).toBe(200);
    expect(await (await fetch(`${url}/sdk/spaceport.js`)).text()).toContain('SpaceportClient');

    const health = JSON.parse(stepsOf(runStage, 'HEALTHCHECK')[0]!.replace(/^.*CMD /, '')) as string[];
    const port = new URL(url).port;
    await run(health[0]!, health.slice(1), { env: { ...process.env, PORT: port } }); // rejects on a non-zero exit
    await serve.kill('SIGTERM');
  }, 150_000);
});

describe('deploy/compose.yaml', () => {
  const compose = parseYaml(readFileSync(join(ROOT, 'deploy', 'compose.yaml'), 'utf8')) as { services: Record<string, any> };
  const operations = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
  /** The first column of docs/operations.md's compose table: the services it documents. */
  const table = operations.slice(operations.indexOf('| service |')).split('\n\n')[0]!;
  const documented = [...table.matchAll(/^\| `([\w-]+)` \| .* \| (.*) \|$/gm)].map((m) => ({ name: m[1]!, ports: m[2]! }));

  it('runs Redis, two gateway instances of the image and nginx — the services the docs list', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway-a', 'gateway-b', 'nginx', 'redis']);
    expect(documented.map((d) => d.name).sort()).toEqual(Object.keys(compose.services).sort());
  });

  it('runs Redis with the settings docs/operations.md gives it, so the gateway has nothing to warn about', () => {
    const command = compose.services.redis.command as string[];
    const setting = (name: string) => command[command.indexOf(`--${name}`) + 1];
    expect([setting('appendonly'), setting('maxmemory-policy'), setting('stream-node-max-bytes')]).toEqual(['yes', 'noeviction', String(STREAM_NODE_BYTES)]);
    expect(operations).toContain(`\`stream-node-max-bytes ${STREAM_NODE_BYTES}\``);
  });

  it('points both instances at the Redis service with one admin token, and nginx at both on the image’s port', () => {
    const gateways = ['gateway-a', 'gateway-b'].map((n) => compose.services[n]);
    for (const g of gateways) {
      expect(g.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(g.environment.SPACEPORT_REDIS_URL).toBe('redis://redis:6379');
      expect(g.environment.SPACEPORT_ADMIN_TOKEN).toBe(gateways[0].environment.SPACEPORT_ADMIN_TOKEN);
      expect(g.volumes).toEqual([expect.stringMatching(new RegExp(`:${stageEnv(runStage).SPACEPORT_DATA}$`)), `uploads:${g.environment.SPACEPORT_UPLOADS_DIR}`]);
    }
    const nginx = readFileSync(join(ROOT, 'deploy', 'nginx-compose.conf'), 'utf8');
    const upstream = [...nginx.matchAll(/^\s*server ([\w-]+):(\d+);/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(upstream).toEqual([`gateway-a:${stageEnv(runStage).PORT}`, `gateway-b:${stageEnv(runStage).PORT}`]);
    expect(compose.services.nginx.ports).toEqual(['8000:8000']);
    expect(documented.find((d) => d.name === 'nginx')!.ports).toBe('`8000:8000`');
    expect(nginx).toMatch(/listen 8000;/);
  });

  it('uses only settings the README documents', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const name of ['gateway-a', 'gateway-b']) for (const key of Object.keys(compose.services[name].environment)) expect(readme).toContain(`\`${key}\``);
  });
});

describe('the npm package (the tarball the image installs)', () => {
  it('ships the built code, the CLI, the demo model and the docs — no sources, tests or benchmarks', () => {
    const tops = new Set(listing.map((p) => p.split('/')[0]));
    expect([...tops].sort()).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'docs', 'models', 'package.json']);
    for (const file of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/sdk/node-client.js',
      'dist/sdk/browser.js',
      'dist/sdk/worker/serve.d.ts',
      'dist/bundles/ui/main.js',
      'dist/bundles/sdk/spaceport.js',
      'models/charlm/charlm.bin',
    ]) {
      expect(listing).toContain(file);
    }
    expect(listing.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
  });

  it('starts a gateway in code, serves a space with spaceport/worker and streams a job with spaceport/client', async () => {
    const program = join(app, 'main.mjs');
    writeFileSync(
      program,
      `import { startGateway } from 'spaceport';
import { SpaceportClient, nodeTransport } from 'spaceport/client';
import { serve } from 'spaceport/worker';

const gw = await startGateway({ port: 0, host: '127.0.0.1', dataDir: './data', adminToken: 'package-admin', logLevel: 'warn' });
const admin = { authorization: 'Bearer package-admin', 'content-type': 'application/json' };
await fetch(gw.url + '/v1/admin/spaces', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'shout', inputs: ['prompt'] }) });
const worker = serve({ host: gw.url, spaces: ['shout'], token: 'package-admin' }, async (job, ctx) => {
  for (const word of job.prompt.split(' ')) ctx.token(word.toUpperCase() + ' ');
  return { words: job.prompt.split(' ').length };
});
await worker.ready;
const client = new SpaceportClient({ url: gw.url, token: 'package-admin', transport: nodeTransport });
await client.connect();
const job = await client.submit('shout', { prompt: 'from the packed tarball' });
let text = '';
for await (const token of job.tokens()) text += token;
console.log(JSON.stringify({ text, result: (await job.result()).data }));
client.close();
worker.close();
await gw.close();
`,
    );
    const { stdout } = await run(process.execPath, [program], { cwd: app });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ text: 'FROM THE PACKED TARBALL ', result: { words: 4 } });
  });

  it('has types for the three entry points that a strict TypeScript program compiles against', async () => {
    const program = join(app, 'typed.mts');
    writeFileSync(
      program,
      `import { startGateway, type Gateway } from 'spaceport';
import { SpaceportClient, nodeTransport, type JobStreamEvent } from 'spaceport/client';
import { serve, type Handler } from 'spaceport/worker';

const handler: Handler = async (job, ctx) => { ctx.token(job.prompt ?? ''); return { ok: true }; };
const gw: Gateway = await startGateway({ dataDir: './data', adminToken: 'x' });
serve({ host: gw.url, spaces: ['s'], token: 'x' }, handler).close();
const client = new SpaceportClient({ url: gw.url, transport: nodeTransport });
const seen: JobStreamEvent[] = [];
(await client.submit('s', { prompt: 'p' })).on((e) => seen.push(e));
// @ts-expect-error a port is a number
await startGateway({ dataDir: './data', adminToken: 'x', port: '8000' });
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--typeRoots',
      join(ROOT, 'node_modules', '@types'),
      '--types',
      'node',
      program,
    ];
    const result = await run(process.execPath, [tsc, ...args], { cwd: app }).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
    expect(result.stdout).toBe('');
  });

  it('runs `npx spaceport` from the install', async () => {
    const { stdout } = await run('npx', ['spaceport', '--help'], { cwd: app });
    expect(stdout).toMatch(/serve\b.*\n.*worker\b/s);
  });
});
