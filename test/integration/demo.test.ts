import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/latch.ts';
import { testGateway } from '../helpers/gateway.ts';
import { serveProcess, type Proc } from '../helpers/processes.ts';

const DEMO = ['audio-image-to-video', 'images-to-3d', 'motion_detector', 'ocr', 'speech-to-text', 'text-generation', 'text-to-speech'];
const dirs: string[] = [];
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) await p.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(env: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'spaceport-demo-'));
  dirs.push(dir);
  const { proc, url } = await serveProcess(dir, 'demo-admin', env);
  procs.push(proc);
  return url;
}

const spaces = async (url: string) => ((await (await fetch(`${url}/v1/spaces`)).json()) as { spaces: Array<{ space: string; connected: boolean }> }).spaces;

describe('spaceport serve (what npm start runs)', () => {
  it('creates the demo spaces and serves each with a built-in worker', async () => {
    const url = await serve({ SPACEPORT_DEMO: '1' });
    // Ready means ready: once it says it listens (and /health says healthy), the demo spaces exist,
    // whether or not their workers have connected yet.
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const plugins = ((await (await fetch(`${url}/v1/plugins`)).json()) as { plugins: Array<{ name: string }> }).plugins.map((p) => p.name);
    expect(plugins.sort()).toEqual(['audio-image-to-video', 'images-to-3d', 'motion_detector', 'ocr']);
    await until(
      'every demo space to have its worker',
      async () => {
        const list = await spaces(url);
        return DEMO.every((name) => list.find((s) => s.space === name)?.connected) || undefined;
      },
      60_000,
    );
    expect((await spaces(url)).map((s) => s.space).sort()).toEqual(DEMO);
    // The built-in workers got the admin token in their environment: no command line shows it.
    const commandLines = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return '';
        }
      });
    expect(commandLines.some((c) => c.includes('src/workers/main.ts'))).toBe(true);
    expect(commandLines.filter((c) => c.includes('demo-admin'))).toEqual([]);
  }, 90_000);

  it('with --no-demo starts bare', async () => {
    const url = await serve({});
    await new Promise((r) => setTimeout(r, 500));
    expect(await spaces(url)).toEqual([]);
  });
});

describe('readiness', () => {
  it('answers /health with 503 "starting" until the program that started the gateway says it is ready', async () => {
    const gw = await testGateway({ startReady: false });
    try {
      const before = await gw.http('GET', '/health');
      expect(before).toMatchObject({ status: 503, body: { status: 'starting' } });
      gw.markReady();
      expect(await gw.http('GET', '/health')).toMatchObject({ status: 200, body: { status: 'healthy' } });
    } finally {
      await gw.stop();
    }
  });
});
