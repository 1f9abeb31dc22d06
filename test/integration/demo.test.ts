import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/latch.ts';
import { serveProcess, type Proc } from '../helpers/processes.ts';

const DEMO = ['audio-image-to-video', 'images-to-3d', 'motion_detector', 'ocr', 'text-generation'];
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
