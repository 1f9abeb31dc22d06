/// <reference lib="dom" />
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/binary-frame.ts';
import { launchChromium, openSpace } from '../helpers/browser.ts';
import { gatewayWithBuiltinWorkers } from '../helpers/builtin.ts';
import { ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { portrait } from '../helpers/portrait.ts';
import { runPython, runTs, type Proc } from '../helpers/processes.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

/** Screenshots of each page, for people to look at (CI prints this path). */
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');

let gw: TestGateway;
let stop: () => Promise<void>;
let browser: Browser;
const procs: Proc[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  ({ gw, stop } = await gatewayWithBuiltinWorkers(['text-generation', 'ocr', 'images-to-3d', 'audio-image-to-video', 'text-to-speech', 'speech-to-text']));
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  for (const p of procs) await p.kill('SIGKILL');
  await browser?.close();
  await stop?.();
});

async function page(context?: BrowserContext): Promise<Page> {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1100, height: 900 } }));
  const p = await ctx.newPage();
  p.setDefaultTimeout(30_000);
  return p;
}

async function signIn(p: Page, username: string, password: string): Promise<void> {
  await p.goto(`${gw.url}/signin`);
  await p.getByLabel('Username').fill(username);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('link', { name: username, exact: true }).waitFor();
}

const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

const textPng = (text: string) =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="160"><rect width="100%" height="100%" fill="white"/><text x="24" y="100" font-family="DejaVu Sans" font-size="52" fill="black">${text}</text></svg>`,
    ),
  )
    .png()
    .toBuffer();

describe('web UI in Chromium', () => {
  it('admin: signs in, creates a space with prompt and image, makes a worker token, starts a worker with the shown command, sees it connected', async () => {
    const p = await page();
    await signIn(p, 'admin', ADMIN_TOKEN);
    await p.getByRole('link', { name: 'Admin', exact: true }).click();
    await p.locator('#new-space').click();
    await p.locator('#space-name').fill('studio');
    await p.locator('#space-description').fill('Words, streamed back with progress.');
    await p.locator('#input-image').check();
    await p.locator('#space-public').check();
    await p.locator('#space-policy').selectOption('fifo');
    await p.locator('#space-retry-delay').fill('2.5');
    await p.locator('#save-space').click();
    await p.locator('tr[data-space="studio"]').waitFor();
    expect((await gw.admin('GET', '/v1/admin/spaces/studio')).body).toMatchObject({ visibility: 'public', queue_policy: 'fifo', retry_delay_ms: 2500, retry_max_delay_ms: 60_000 });
    // Its webhook: a private address is refused in plain words, the space left as it was.
    await p.locator('tr[data-space="studio"] button', { hasText: 'Edit' }).click();
    await p.locator('#space-webhook').fill('http://127.0.0.1:9/hook');
    await p.locator('#save-space').click();
    await p.locator('#space-editor [role="alert"]').waitFor();
    expect((await gw.admin('GET', '/v1/admin/spaces/studio')).body.webhook_url).toBeUndefined();
    await p.locator('#space-editor button', { hasText: 'Cancel' }).click();
    await p.locator('#admin-deliveries').getByText('No webhook deliveries yet.').waitFor();
    // A service key with a priority bound and a weight in fair share; then a heavier weight.
    await p.locator('#key-name').fill('batch service');
    await p.locator('#key-max-priority').fill('5');
    await p.locator('#key-weight').fill('2');
    await p.locator('#create-key').click();
    await p.locator('#shown-key').waitFor();
    const made = (await gw.admin('GET', '/v1/admin/api-keys')).body.keys.find((k: { name: string }) => k.name === 'batch service');
    expect(made).toMatchObject({ max_priority: 5, fair_weight: 2 });
    await p.locator(`#weight-${made.id}`).fill('4');
    await p.locator(`tr[data-key="${made.id}"] .save-key`).click();
    await until('the new weight', async () => (await gw.admin('GET', '/v1/admin/api-keys')).body.keys.find((k: { id: string }) => k.id === made.id).fair_weight === 4 || undefined);

    await p.locator('#token-space').selectOption('studio');
    await p.locator('#create-token').click();
    const host = gw.url.replace(/\./g, '\\.');
    const command = (await p.locator('#worker-command').textContent())!;
    expect(command).toMatch(new RegExp(`^SPACEPORT_TOKEN=spw_\\S+ npx spaceport worker --host ${host} --spaces studio --exec 'cat'$`));
    expect(await p.locator('#worker-command-openai').textContent()).toMatch(new RegExp(`npx spaceport worker --host ${host} --spaces studio --openai http://localhost:11434/v1 --model \\S+$`));
    const python = (await p.locator('#worker-command-python').textContent())!;
    expect(python).toMatch(new RegExp(`^SPACEPORT_TOKEN=spw_\\S+ python3 -m spaceport.worker_cli --host ${host} --spaces studio --handler spaceport.examples:echo$`));
    // Run the shown commands as printed (`npx spaceport` is this checkout's CLI; the Python package
    // is on the path as `pip install ./python` would put it): each serves a job.
    const words = (line: string) => line.split(' ').map((w) => w.replace(/^'(.*)'$/, '$1'));
    const [assignment, , , ...args] = words(command);
    const token = assignment!.slice('SPACEPORT_TOKEN='.length);
    const served = async (worker: Proc, check: (result: Record<string, any>) => void) => {
      await worker.waitFor('registered as');
      const client = await gw.client(ADMIN_TOKEN);
      client.send({ type: 'submit', space: 'studio', prompt: 'echo me' });
      const result = await client.wait('result', (m) => m.type === 'result' || m.type === 'failed', 20_000);
      check(result);
      client.close();
      await worker.kill('SIGTERM');
    };
    await served(runTs('src/cli/main.ts', args, { SPACEPORT_TOKEN: token }), (r) => expect(r.data).toMatchObject({ prompt: 'echo me', space: 'studio' }));
    const [, , ...pythonArgs] = words(python);
    await served(runPython(pythonArgs, { SPACEPORT_TOKEN: token, PYTHONPATH: 'python' }), (r) => expect(r.data).toMatchObject({ text: 'echo me', files: [] }));
    // The tests below want a worker that streams words with progress: this one, on the same token.
    const worker = runTs('src/cli/main.ts', ['worker', '--host', gw.url, '--spaces', 'studio', '--handler', 'test/fixtures/progress-handler.mjs'], {
      SPACEPORT_TOKEN: token,
    });
    procs.push(worker);
    await worker.waitFor('registered as');
    await p.locator('#admin-workers td', { hasText: 'studio' }).waitFor();

    await p.locator('#new-username').fill('grace');
    await p.locator('#new-password').fill('hopper-1906');
    await p.locator('#create-user').click();
    await p.locator('tr[data-user="grace"]').waitFor();
    await shot(p, 'admin');

    await p.getByRole('link', { name: 'Spaces' }).click();
    await p.locator('article[data-space="studio"] [data-status="connected"]').waitFor();
    await p.context().close();
  }, 90_000);

  it('charts each space for the admin (queue, jobs ended, wait and run times) and draws a queue sparkline on each space card', async () => {
    const p = await page();
    await signIn(p, 'admin', ADMIN_TOKEN);
    // Some activity to chart: a few jobs of the text model.
    const client = await gw.client(ADMIN_TOKEN);
    for (let i = 0; i < 3; i++) {
      client.send({ type: 'submit', space: 'text-generation', prompt: 'It is' });
      await client.next('result', (m) => m.type === 'result');
    }
    client.close();
    await until(
      'samples with those jobs',
      async () => ((await gw.http('GET', '/v1/spaces/text-generation/activity')).body.samples as Array<{ completed: number }>).some((s) => s.completed > 0) || undefined,
    );
    await p.goto(`${gw.url}/admin`);
    await p.locator('#activity-space').selectOption('text-generation');
    const charts = p.locator('#activity-charts figure.chart');
    await charts.nth(2).locator('canvas').first().waitFor();
    expect(await charts.count()).toBe(3);
    expect(await charts.locator('figcaption').allTextContents()).toEqual(['Queue and slots in use', 'Jobs ended per 0.5 s', 'Wait and run time (s)']);
    await shot(p, 'admin-activity');
    await p.goto(gw.url);
    const spark = p.locator('article[data-space="text-generation"] .sparkline canvas').first();
    await spark.waitFor();
    await p.context().close();
  }, 60_000);

  it('shows a space connected the moment a remote app registers, and not connected when it leaves, without a reload', async () => {
    await gw.createSpace({ name: 'live-status', inputs: ['prompt'], open_registration: true });
    const p = await page();
    await p.goto(`${gw.url}/s/live-status`);
    await p.locator('[data-status="disconnected"]').waitFor();
    expect(await p.locator('#submit').isDisabled()).toBe(true);
    const home = await page();
    await home.goto(gw.url);
    await home.locator('article[data-space="live-status"] [data-status="disconnected"]').waitFor();
    // The WebSocket Spaces guide's remote app: a Socket.IO client that registers by space name.
    const app = io(gw.url, { transports: ['websocket'], reconnection: false });
    app.emit('register', { space_name: 'live-status' });
    await p.locator('[data-status="connected"]').waitFor();
    expect(await p.locator('#submit').isDisabled()).toBe(false);
    await home.locator('article[data-space="live-status"] [data-status="connected"]').waitFor();
    app.disconnect();
    await p.locator('[data-status="disconnected"]').waitFor();
    await home.locator('article[data-space="live-status"] [data-status="disconnected"]').waitFor();
    expect(await p.locator('#submit').isDisabled()).toBe(true);
    await p.context().close();
    await home.context().close();
  });

  it('user: submits, watches progress and tokens stream, sees the result; cancel works', async () => {
    const p = await page();
    await signIn(p, 'grace', 'hopper-1906');
    await p.goto(`${gw.url}/`);
    await p.locator('article[data-space="studio"] a').click();
    await p.locator('#space-status[data-status="connected"]').waitFor();
    await p.getByLabel('Prompt').fill('one small step for a gateway');
    // The page itself notes the bar's value at every change it makes, so what is checked is what
    // a person saw, however late this test gets to look.
    await p.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seenProgress: number[] }).seenProgress = seen;
      new MutationObserver(() => {
        const bar = document.querySelector<HTMLProgressElement>('#job-progress');
        if (bar && seen.at(-1) !== bar.value) seen.push(bar.value);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await p.locator('#submit').click();
    await p.locator('#job-state[data-state="completed"]').waitFor();
    // Tokens arrived one by one while the bar moved: several values strictly between empty and full.
    const seen = await p.evaluate(() => (window as unknown as { seenProgress: number[] }).seenProgress);
    expect(seen.filter((v) => v > 0 && v < 1).length).toBeGreaterThanOrEqual(2);
    expect(await p.locator('#tokens').textContent()).toBe('one small step for a gateway ');
    expect(await p.locator('#result [data-kind="text"]').textContent()).toBe('ONE SMALL STEP FOR A GATEWAY');
    expect(await p.locator('#job-progress-text').textContent()).toContain('100%');
    // How long it waited and ran, stopped at the end.
    expect(await p.locator('#job-times').textContent()).toMatch(/^waited \d+\.\d s · ran \d+\.\d s$/);
    await shot(p, 'space-with-result');

    await p.getByLabel('Prompt').fill('slow words that will not all arrive in time at all');
    await p.locator('#submit').click();
    await p.waitForFunction(() => (document.querySelector('#tokens')?.textContent ?? '').length > 0);
    await p.locator('#cancel').click();
    await p.locator('#job-state[data-state="cancelled"]').waitFor();
    expect(await p.locator('#job-error').textContent()).toContain('The job was cancelled.');
    // History lists both jobs.
    await p.reload();
    await p.locator('#history tbody tr').nth(1).waitFor();
    await p.context().close();
  }, 60_000);

  it('OCR round trip: an image with text comes back as text', async () => {
    const p = await page();
    await openSpace(p, gw.url, 'ocr');
    await p.locator('#file-image').setInputFiles({ name: 'sign.png', mimeType: 'image/png', buffer: await textPng('Gateway 1969') });
    await p.locator('#submit').click();
    await p.locator('#job-state[data-state="completed"]').waitFor();
    const data = JSON.parse((await p.locator('#result details pre').textContent())!);
    expect(data.text).toContain('Gateway');
    expect(data.text).toContain('1969');
    // Each word found is drawn as a box over the submitted image, placed in its pixels.
    const figure = p.locator('#result figure[data-kind="boxes"]');
    await figure.waitFor();
    expect(await figure.locator('svg rect').count()).toBe(data.words.length);
    expect(await figure.locator('svg').getAttribute('viewBox')).toMatch(/^0 0 \d+ \d+$/);
    const first = data.words[0].bbox;
    expect(await figure.locator('svg rect').first().getAttribute('x')).toBe(String(first.x));
    await shot(p, 'ocr-boxes');
    await p.context().close();
  });

  it('speech: the text-to-speech result plays in an audio player, and speech-to-text streams the words it hears', async () => {
    const p = await page();
    await openSpace(p, gw.url, 'text-to-speech');
    await p.getByLabel('Prompt').fill('Hello world, this is a test.');
    await p.locator('#submit').click();
    await p.locator('#job-state[data-state="completed"]').waitFor();
    const player = p.locator('#result audio');
    await player.waitFor();
    await p.waitForFunction(() => ((document.querySelector('#result audio') as HTMLAudioElement | null)?.readyState ?? 0) >= 1);
    expect(await player.evaluate((a) => (a as HTMLAudioElement).duration)).toBeGreaterThan(1);
    const wav = Buffer.from(await (await fetch(gw.url + (await player.getAttribute('src'))!)).arrayBuffer());
    await shot(p, 'text-to-speech');

    await openSpace(p, gw.url, 'speech-to-text');
    await p.locator('#file-audio').setInputFiles({ name: 'hello.wav', mimeType: 'audio/wav', buffer: wav });
    await p.locator('#submit').click();
    await p.locator('#job-state[data-state="completed"]').waitFor();
    expect(await p.locator('#tokens').textContent()).toContain('hello');
    // The transcript streamed in once; the result's same text is not shown a second time.
    await p.locator('#result').waitFor();
    expect(await p.locator('#result [data-kind="text"]').count()).toBe(0);
    await shot(p, 'speech-to-text');
    await p.context().close();
  }, 60_000);

  it('shows a portrait as its textured face mesh in the 3D viewer', async () => {
    const p = await page();
    await openSpace(p, gw.url, 'images-to-3d');
    await p.locator('#file-image').setInputFiles({ name: 'me.jpg', mimeType: 'image/jpeg', buffer: await portrait(400) });
    await p.locator('#submit').click();
    await p.locator('#job-state[data-state="completed"]').waitFor();
    const canvas = p.locator('canvas.viewer[data-ready="true"]');
    await canvas.waitFor();
    // A mesh, not points: the viewer counts none.
    expect(await canvas.getAttribute('data-points')).toBe('0');
    await shot(p, 'face-mesh');
    await p.context().close();
  }, 60_000);

  it('shows a GLB result in the 3D viewer', async () => {
    const p = await page();
    await openSpace(p, gw.url, 'images-to-3d');
    const tile = (r: number, g: number, b: number) =>
      sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g, b } } })
        .png()
        .toBuffer();
    await p.locator('#file-image').setInputFiles([
      { name: 'a.png', mimeType: 'image/png', buffer: await tile(220, 40, 40) },
      { name: 'b.png', mimeType: 'image/png', buffer: await tile(40, 40, 220) },
    ]);
    await p.locator('#submit').click();
    await p.locator('#job-state[data-state="completed"]').waitFor();
    // Each panel's relief map came as live media on the way; the last one is still shown.
    const relief = p.locator('#partial-result img');
    await relief.waitFor();
    expect(await relief.getAttribute('alt')).toBe('relief-2.png');
    expect(await relief.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(40);
    const canvas = p.locator('canvas.viewer[data-ready="true"]');
    await canvas.waitFor();
    expect(await canvas.getAttribute('data-points')).toBe(String(2 * 40 * 30));
    // Something is drawn: the canvas is not a single colour.
    const colours = await canvas.evaluate((c) => {
      const gl = (c as HTMLCanvasElement).getContext('webgl2') ?? (c as HTMLCanvasElement).getContext('webgl');
      const px = new Uint8Array(4 * 64 * 64);
      gl!.readPixels(Math.floor(gl!.drawingBufferWidth / 2) - 32, Math.floor(gl!.drawingBufferHeight / 2) - 32, 64, 64, gl!.RGBA, gl!.UNSIGNED_BYTE, px);
      return new Set(Array.from({ length: 64 * 64 }, (_, i) => `${px[i * 4]},${px[i * 4 + 1]},${px[i * 4 + 2]}`)).size;
    });
    expect(colours).toBeGreaterThan(1);
    await p.context().close();
  });

  it('keeps an anonymous visitor from submitting to a users-only space', async () => {
    await gw.createSpace({ name: 'members-only', inputs: ['prompt'], access: 'users' });
    const p = await page();
    await p.goto(`${gw.url}/s/members-only`);
    await p.locator('#sign-in-needed').waitFor();
    expect(await p.locator('#submit').isDisabled()).toBe(true);
    await p.context().close();
  });

  it('refuses a cookie-authenticated socket opened from a foreign origin', async () => {
    // Another origin on the same host (a different port): the browser sends the Lax cookie along,
    // so only the gateway's Origin rule stands between that page and the signed-in user.
    const foreign: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', () => r()));
    const ctx = await browser.newContext();
    const p = await page(ctx);
    await signIn(p, 'grace', 'hopper-1906');
    await p.goto(`http://127.0.0.1:${(foreign.address() as { port: number }).port}/`);
    const outcome = await p.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onmessage = (e) => resolve(`opened as ${JSON.parse(e.data).identity?.name}`);
          ws.onerror = () => resolve('refused');
          setTimeout(() => resolve('timeout'), 5000);
        }),
      `${gw.ws}/v1/ws`,
    );
    expect(outcome).toBe('refused');
    // The same user, from the gateway's own page, is welcome.
    await p.goto(`${gw.url}/`);
    const own = await p.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onmessage = (e) => resolve(JSON.parse(e.data).identity?.name);
          ws.onerror = () => resolve('refused');
        }),
      `${gw.ws}/v1/ws`,
    );
    expect(own).toBe('grace');
    await ctx.close();
    foreign.close();
  });

  it('streams from the text model on the home page over /ws, and serves /websocket-test and /dashboard', async () => {
    const p = await page();
    await p.goto(`${gw.url}/`);
    await p.getByRole('button', { name: 'Stream' }).click();
    await p.waitForFunction(() => /tokens in \d+ ms/.test(document.querySelector('#stream-status')?.textContent ?? ''));
    expect((await p.locator('#stream-output').textContent())!.length).toBeGreaterThan(100);
    await shot(p, 'home');

    await p.goto(`${gw.url}/websocket-test`);
    const wav = Buffer.alloc(44 + 16_000 * 2);
    wav.write('RIFF', 0);
    wav.writeUInt32LE(36 + 32_000, 4);
    wav.write('WAVEfmt ', 8);
    wav.writeUInt32LE(16, 16);
    wav.writeUInt16LE(1, 20);
    wav.writeUInt16LE(1, 22);
    wav.writeUInt32LE(16_000, 24);
    wav.writeUInt32LE(32_000, 28);
    wav.writeUInt16LE(2, 32);
    wav.writeUInt16LE(16, 34);
    wav.write('data', 36);
    wav.writeUInt32LE(32_000, 40);
    await p.locator('#audio').setInputFiles({ name: 'tone.wav', mimeType: 'audio/wav', buffer: wav });
    await p.locator('#image').setInputFiles({ name: 'face.png', mimeType: 'image/png', buffer: await portrait(320, 'png') });
    await p.getByRole('button', { name: 'Connect' }).click();
    await p.waitForFunction(() => !(document.querySelector('#process') as HTMLButtonElement).disabled);
    await p.getByRole('button', { name: 'Process' }).click();
    await p.locator('#video:not([hidden])').waitFor();
    expect(await p.locator('#download').getAttribute('href')).toMatch(/^blob:/);
    expect(await p.locator('#log').textContent()).toContain('result');
    await shot(p, 'websocket-test');

    // A session is its creator's alone: made and filled here as this browser (its visitor cookie).
    const visitor = (await p.context().cookies()).find((c) => c.name === 'spaceport_visitor')!;
    const asBrowser = { cookie: `${visitor.name}=${visitor.value}` };
    const session = (await (await fetch(`${gw.url}/ws/session/create?max_images=5`, { method: 'POST', headers: asBrowser })).json()) as { session_id: string };
    const uploader = await WsPeer.open(`${gw.ws}/ws/reconstruct/${session.session_id}`, asBrowser);
    uploader.send({ type: 'image', data: (await textPng('A')).toString('base64'), filename: 'first.png' });
    await uploader.wait('ack', (m) => m.type === 'ack');
    uploader.close();
    await p.goto(`${gw.url}/dashboard`);
    await p.locator(`tr[data-session="${session.session_id}"]`).waitFor();
    await p.locator('.thumbs img[alt="first.png"]').waitFor();
    expect(await p.locator('.thumbs img[alt="first.png"]').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(720);
    await shot(p, 'dashboard');
    await p.context().close();
    console.log(`screenshots: ${SCREENSHOTS}`);
  }, 60_000);

  it('uploads a large input resumably with its progress shown, then submits the job naming it', async () => {
    await gw.createSpace({ name: 'big-inputs', inputs: { prompt: false, files: { max_bytes: 64 * 1024 * 1024 } } });
    const worker = await gw.worker(['big-inputs']);
    const p = await page();
    const patches: string[] = [];
    p.on('request', (r) => r.method() === 'PATCH' && r.url().includes('/v1/uploads/') && patches.push(r.url()));
    await p.goto(`${gw.url}/s/big-inputs`);
    await p.locator('#file-files').setInputFiles({ name: 'recording.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(12 * 1024 * 1024, 7) });
    const shown: string[] = [];
    await p.exposeFunction('noteUpload', (text: string) => shown.push(text));
    await p.evaluate(() => {
      const text = document.querySelector('#upload-progress-text')!;
      new MutationObserver(() => (window as unknown as { noteUpload(t: string): void }).noteUpload(text.textContent ?? '')).observe(text, { childList: true, characterData: true, subtree: true });
    });
    await p.getByRole('button', { name: 'Submit' }).click();
    const job = await worker.next('job', (m) => m.type === 'job');
    expect(job.files).toEqual([expect.objectContaining({ name: 'recording.bin', size: 12 * 1024 * 1024 })]);
    expect(patches.length).toBeGreaterThan(0);
    expect(shown).toContain('Uploading recording.bin: 0 B of 12 MB');
    expect(shown).toContain('Uploading recording.bin: 12 MB of 12 MB');
    await p.locator('#upload-progress[hidden]').waitFor({ state: 'attached' });
    worker.close();
    await p.context().close();
  });

  it('admin: lists the failed jobs (the dead letters) 25 a page, older and newer', async () => {
    await gw.createSpace({ name: 'dead-letters', inputs: ['prompt'] });
    const worker = await gw.worker(['dead-letters'], 8);
    worker.ws.on('message', (data, isBinary) => {
      const m = isBinary ? null : JSON.parse(String(data));
      if (m?.type === 'job') worker.send({ type: 'error', job: m.job, message: 'the model is on fire' });
    });
    const submitted: string[] = [];
    for (let i = 0; i < 30; i++) submitted.push((await gw.http('POST', '/v1/jobs', { space: 'dead-letters', prompt: `p${i}` })).body.job);
    await until('all 30 failed', async () => (await gw.admin('GET', '/v1/admin/jobs?space=dead-letters&state=failed&limit=100')).body.jobs.length === 30 || undefined);
    const p = await page();
    await signIn(p, 'admin', ADMIN_TOKEN);
    await p.goto(`${gw.url}/admin`);
    await p.locator('#job-state').selectOption('failed');
    const shown = () => p.locator('#admin-jobs tr[data-job]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')!));
    const newestFailed = [...submitted].reverse();
    await p.waitForFunction(
      () =>
        document.querySelectorAll('#admin-jobs tr[data-job]').length === 25 &&
        Array.from(document.querySelectorAll('#admin-jobs tr[data-job] td:nth-child(3)')).every((td) => td.textContent === 'failed'),
    );
    const firstPage = await shown();
    expect(firstPage.filter((id) => submitted.includes(id))).toEqual(newestFailed.slice(0, firstPage.filter((id) => submitted.includes(id)).length));
    await p.locator('#jobs-older').click();
    await p.waitForFunction(() => !(document.querySelector('#jobs-newer') as HTMLButtonElement).disabled);
    const secondPage = await shown();
    expect(new Set([...firstPage, ...secondPage]).size).toBe(firstPage.length + secondPage.length);
    expect(await p.locator('#jobs-newer').isEnabled()).toBe(true);
    await p.locator('#jobs-newer').click();
    await p.waitForFunction(() => (document.querySelector('#jobs-newer') as HTMLButtonElement).disabled);
    expect(await shown()).toEqual(firstPage);
    // Retry the newest dead letter: a new job with its inputs (which this worker fails again).
    await p.locator(`#admin-jobs tr[data-job="${firstPage[0]}"] button.retry`).click();
    await until('the retry', async () => (await gw.admin('GET', '/v1/admin/jobs?space=dead-letters&limit=5')).body.jobs.find((j: { retry_of?: string }) => j.retry_of === firstPage[0]));
    worker.close();
    await p.context().close();
  });

  it('plays a video result and seeks in it, back and forth (byte ranges)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spaceport-seek-'));
    const clip = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=12:size=320x240:rate=25', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '25', clip]);
    await gw.createSpace({ name: 'clips', inputs: ['prompt'] });
    const worker = await gw.worker(['clips']);
    const p = await page();
    const ranged: string[] = [];
    p.on('request', (r) => r.url().includes('/v1/blobs/') && r.headers().range && ranged.push(r.headers().range!));
    await p.goto(`${gw.url}/s/clips`);
    await p.locator('#prompt').fill('a clip');
    await p.getByRole('button', { name: 'Submit' }).click();
    const job = await worker.next('job', (m) => m.type === 'job');
    worker.send({ type: 'started', job: job.job });
    worker.send({ type: 'result', job: job.job, data: {}, files: [{ name: 'clip.mp4', mime: 'video/mp4', binary: true }] });
    worker.sendBinary(encodeFrame({ ref: job.job, index: 0 }, readFileSync(clip)));
    const video = p.locator('video[data-kind="video"]');
    await video.waitFor();
    for (const at of [9, 2.5, 11, 5]) {
      const landed = await video.evaluate(
        (v: HTMLVideoElement, t: number) =>
          new Promise<number>((resolve, reject) => {
            v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
            v.addEventListener('error', () => reject(new Error(v.error?.message ?? 'media error')), { once: true });
            v.currentTime = t;
          }),
        at,
      );
      expect(Math.abs(landed - at)).toBeLessThan(0.1);
    }
    expect(await video.evaluate((v: HTMLVideoElement) => v.duration)).toBeCloseTo(12, 0);
    expect(ranged.length).toBeGreaterThan(0);
    worker.close();
    await p.context().close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The pages every width is checked on: path, what shows it is drawn, the screenshot's name. */
  const PAGES = [
    ['/', 'article[data-space]', 'home'],
    ['/s/text-generation', '#prompt', 'space'],
    ['/admin', 'tr[data-space]', 'admin'],
    ['/websocket-test', '#log', 'websocket-test'],
    ['/dashboard', 'table, .muted', 'dashboard'],
  ] as const;

  it('every page has the header and no sideways scrolling at 375 px; an unknown page is an HTML 404 with a way back; dark follows the system', async () => {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, colorScheme: 'dark' });
    const p = await page(ctx);
    await signIn(p, 'admin', ADMIN_TOKEN);
    const fits = () => p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    for (const [path, ready, name] of PAGES) {
      await p.goto(gw.url + path);
      await p.locator(ready).first().waitFor();
      expect(await p.locator('header.top a.brand').getAttribute('href'), path).toBe('/');
      expect(await fits(), `${path} scrolls sideways`).toBe(true);
      await shot(p, `phone-dark-${name}`);
    }
    // A job's long id wraps instead of widening the page.
    await p.goto(`${gw.url}/s/text-generation`);
    await p.locator('#prompt').fill('It is a truth');
    await p.locator('#submit').click();
    await p.locator('#job-state[data-state="completed"]').waitFor();
    expect(await fits()).toBe(true);
    // Dark, as the system asked.
    expect(await p.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(20, 23, 29)');
    // A page that is not there: 404, the app's header and a way back; an API client still gets JSON.
    const res = await p.goto(`${gw.url}/no/such/page`);
    expect(res!.status()).toBe(404);
    await p.getByRole('heading', { name: 'Not found' }).waitFor();
    expect(await p.locator('main a[href="/"]').count()).toBeGreaterThan(0);
    const api = await fetch(`${gw.url}/no/such/page`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect((await api.json()).error.code).toBe('not_found');
    await ctx.close();
    // The same pages at desktop width, in light mode, for people to look at.
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    const d = await page(desk);
    await signIn(d, 'admin', ADMIN_TOKEN);
    for (const [path, ready, name] of [...PAGES, ['/account', 'h1', 'account'] as const, ['/no/such/page', 'h1', 'not-found'] as const]) {
      await d.goto(gw.url + path);
      await d.locator(ready).first().waitFor();
      await shot(d, `desktop-${name}`);
    }
    await desk.close();
  }, 60_000);

  it('is usable on a phone-sized screen and by keyboard', async () => {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 740 } });
    const p = await page(ctx);
    await p.goto(`${gw.url}/s/studio`);
    // The space's form is drawn once its description has arrived.
    await p.waitForSelector('#prompt');
    // No sideways scrolling, and every form control has a label.
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    const unlabeled = await p.evaluate(
      () => Array.from(document.querySelectorAll('input, textarea, select')).filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label')).length,
    );
    expect(unlabeled).toBe(0);
    // Tab reaches the prompt, and focus is visible there.
    await p.keyboard.press('Tab');
    for (let i = 0; i < 10 && (await p.evaluate(() => document.activeElement?.id)) !== 'prompt'; i++) await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('prompt');
    expect(await p.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await ctx.close();
  });
});
