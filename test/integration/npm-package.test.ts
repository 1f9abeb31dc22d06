import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/latch.ts';
import { runCommand, type Proc } from '../helpers/processes.ts';

/**
 * The npm package as a user gets it: `npm pack` (which builds dist/), the tarball installed into an
 * empty directory, then `npx spaceport serve` and the three entry points imported by a program
 * that only has the package — no checkout, no loader.
 */
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'spaceport-package-'));
const app = join(dir, 'app');
let tarball: string;
let listing: string[];
const procs: Proc[] = [];

beforeAll(async () => {
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, info!.filename);
  listing = info!.files.map((f) => f.path);
  await run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uses-spaceport', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, maxBuffer: 16 * 1024 * 1024 });
}, 240_000);
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
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
    const result = await run(process.execPath, [tsc, ...args], { cwd: app }).catch((err: { stdout: string }) => ({ stdout: err.stdout, failed: true }));
    expect(result.stdout).toBe('');
  });

  it('runs `npx spaceport serve` in an empty directory: the demo spaces with their workers, the web UI and the browser SDK', async () => {
    const serve = runCommand('npx', ['spaceport', 'serve', '--port', '0', '--host', '127.0.0.1'], {}, app);
    procs.push(serve);
    const url = JSON.parse(await serve.waitFor(/\{"event":"listening"[^\n]*\}/, 60_000)).url as string;
    const spaces = await until(
      'the five demo spaces to have their workers',
      async () => {
        const list = ((await (await fetch(`${url}/v1/spaces`)).json()) as { spaces: Array<{ space: string; connected: boolean }> }).spaces;
        return list.length === 5 && list.every((s) => s.connected) ? list : undefined;
      },
      60_000,
    );
    expect(spaces.map((s) => s.space).sort()).toEqual(['audio-image-to-video', 'images-to-3d', 'motion_detector', 'ocr', 'text-generation']);
    expect(readFileSync(join(app, '.spaceport', 'admin-token'), 'utf8').trim()).toMatch(/^spa_/);
    const ui = await fetch(`${url}/ui/main.js`);
    expect(ui.status).toBe(200);
    expect(await (await fetch(`${url}/`)).text()).toContain('/ui/main.js');
    expect(await (await fetch(`${url}/sdk/spaceport.js`)).text()).toContain('SpaceportClient');
    await serve.kill('SIGTERM');
    expect(serve.child.exitCode ?? serve.child.signalCode).not.toBe(null);
  }, 150_000);
});
