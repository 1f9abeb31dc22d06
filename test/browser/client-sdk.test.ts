import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { launchChromium } from '../helpers/browser.ts';
import { until } from '../helpers/latch.ts';
import type { Proc } from '../helpers/processes.ts';
import { sdkWorker } from '../helpers/sdk.ts';

let gw: TestGateway;
let browser: Browser;
let page: Page;
let worker: Proc;
let apiKey: string;

beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'browser', inputs: ['prompt', 'image'] });
  apiKey = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'browser-tests' })).body.key;
  worker = await sdkWorker(gw.url, 'browser', ADMIN_TOKEN, 2);
  browser = await launchChromium();
  page = await browser.newPage();
  // Same origin as the gateway, so the page imports the SDK the gateway serves.
  await page.goto(`${gw.url}/health`);
  // A string, so vitest's transform does not rewrite the page's dynamic import.
  await page.evaluate("import('/sdk/spaceport.js').then((sdk) => { window.sdk = sdk; })");
  await page.evaluate(
    async ({ token }) => {
      const w = globalThis as any;
      const sdk = w.sdk;
      w.states = [];
      w.client = new sdk.SpaceportClient({ url: w.location.origin, token, reconnect: { minMs: 50, maxMs: 400 }, onState: (s: string) => w.states.push(s) });
      await w.client.connect();
    },
    { token: apiKey },
  );
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await worker?.kill('SIGKILL');
  await gw?.stop();
});

describe('client SDK in Chromium', () => {
  it('submits a Blob as a binary frame and gets the result file back', async () => {
    const out = await page.evaluate(async () => {
      const w = globalThis as any;
      const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 10, 20, 30, 40]); // PNG's signature first
      const job = await w.client.submit('browser', { prompt: 'pic', files: [{ name: 'p.png', mime: 'image/png', data: new Blob([bytes]) }] });
      const { data, files } = await job.result();
      const file = await w.client.download(files[0].id);
      return { data, name: file.name, bytes: Array.from(file.bytes as Uint8Array) };
    });
    expect(out.data).toEqual({ echo: 'pic', user: 'browser-tests', files: [{ name: 'p.png', size: 12, input: 'image' }] });
    expect(out.name).toBe('reversed-p.png');
    expect(out.bytes).toEqual([40, 30, 20, 10, 0x0a, 0x1a, 0x0a, 0x0d, 0x47, 0x4e, 0x50, 0x89]);
  });

  it('streams tokens with for-await and cancels a job', async () => {
    const out = await page.evaluate(async () => {
      const w = globalThis as any;
      const job = await w.client.submit('browser', { prompt: 'count 5 5' });
      const tokens: string[] = [];
      for await (const t of job.tokens()) tokens.push(t);
      const hang = await w.client.submit('browser', { prompt: 'hang' });
      await new Promise<void>((resolve) => hang.on((e: any) => e.type === 'started' && resolve()));
      await hang.cancel();
      const cancelled = await hang.result().then(
        () => 'completed',
        (e: any) => e.code,
      );
      return { tokens, cancelled };
    });
    expect(out.tokens).toEqual(['t0 ', 't1 ', 't2 ', 't3 ', 't4 ']);
    expect(out.cancelled).toBe('cancelled');
  });

  it('after a forced disconnect mid-stream, every token arrives exactly once, in order', async () => {
    await page.evaluate(async () => {
      const w = globalThis as any;
      w.tokens = [];
      w.states = [];
      const job = await w.client.submit('browser', { prompt: 'count 40 15' });
      job.on((e: any) => e.type === 'token' && w.tokens.push(e.text));
      w.done = job.result();
    });
    const cut = async (after: number) => {
      await until(`${after} tokens in the page`, async () => (await page.evaluate(() => (globalThis as any).tokens.length)) >= after || undefined);
      for (const p of gw.context.peers.all()) if (p.endpoint === 'client') p.terminate();
    };
    await cut(8);
    await cut(20);
    const out = await page.evaluate(async () => {
      const w = globalThis as any;
      await w.done;
      return { tokens: w.tokens as string[], states: w.states as string[] };
    });
    expect(out.tokens).toEqual(Array.from({ length: 40 }, (_, i) => `t${i} `));
    expect(out.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(2);
  });
});
