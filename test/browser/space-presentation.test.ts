/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openSpace } from '../helpers/browser.ts';
import { gatewayWithBuiltinWorkers } from '../helpers/builtin.ts';
import { ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts';

/**
 * Space pages built from what a space declares (docs/spaces.md#presentation): controls from its
 * options schema, examples that fill the form, results shown as its output kind — with the real
 * built-in workers, which declare theirs when they register.
 */
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');

let gw: TestGateway;
let stop: () => Promise<void>;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  ({ gw, stop } = await gatewayWithBuiltinWorkers(['text-generation', 'ocr']));
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await stop?.();
});

async function page(width = 1100): Promise<Page> {
  const p = await (await browser.newContext({ viewport: { width, height: 900 } })).newPage();
  p.setDefaultTimeout(30_000);
  return p;
}

const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
const resultData = async (p: Page) => JSON.parse((await p.locator('#result details.raw pre').textContent())!);

describe('a space page from its declaration', () => {
  it('builds controls from the options schema, an example fills the form, and the job runs with those options', async () => {
    const p = await page();
    await openSpace(p, gw.url, 'text-generation');
    // The text model's options, at their defaults, each a labelled control.
    await expect.poll(() => p.getByLabel('Temperature', { exact: true }).inputValue()).toBe('0.8');
    expect(await p.getByLabel('Length', { exact: true }).inputValue()).toBe('200');
    expect(await p.getByLabel('Top k', { exact: true }).inputValue()).toBe('20');
    expect(await p.locator('#options input[type=range]').count()).toBe(3);
    await shot(p, 'space-options');

    await p.getByRole('button', { name: 'A letter, carefully' }).click();
    expect(await p.locator('#prompt').inputValue()).toBe('My dear Jane, I write to you with ');
    expect(await p.getByLabel('Temperature', { exact: true }).inputValue()).toBe('0.4');
    expect(await p.getByLabel('Length', { exact: true }).inputValue()).toBe('160');
    // The slider moves with its number.
    expect(await p.getByLabel('Temperature slider').inputValue()).toBe('0.4');
    await p.getByLabel('Length', { exact: true }).fill('37');
    await p.locator('#submit').click();
    await p.locator('#job-state[data-state="completed"]').waitFor();
    // The worker wrote as many characters as asked: the options reached it.
    expect(await resultData(p)).toMatchObject({ tokens: 37 });
    expect((await p.locator('#tokens').textContent())!.length).toBe(37);
    // Declared as text: the streamed text once, no facts table, the JSON closed.
    expect(await p.locator('#result [data-kind="text"]').count()).toBe(0);
    expect(await p.locator('#result table.facts').count()).toBe(0);
    expect(await p.locator('#result details.raw').getAttribute('open')).toBeNull();
    await p.context().close();
  }, 60_000);

  it('an option out of range is refused by the gateway, in words naming it', async () => {
    const p = await page();
    await openSpace(p, gw.url, 'text-generation');
    await p.locator('#prompt').fill('Emma');
    await p.getByLabel('Length', { exact: true }).fill('5000');
    await p.locator('#submit').click();
    await expect.poll(() => p.locator('#form-error').textContent()).toContain('options.max_tokens must be an integer from 1 to 2000');
    expect(await p.locator('#job').textContent()).toBe('');
    await p.context().close();
  });

  it('the OCR example brings its image; the words come back as boxes on it with the text beside them and the facts in a table', async () => {
    const p = await page();
    await openSpace(p, gw.url, 'ocr');
    expect(await p.getByLabel('Minimum confidence', { exact: true }).inputValue()).toBe('0');
    await p.getByRole('button', { name: 'A printed line' }).click();
    await expect.poll(() => p.locator('#file-image').evaluate((i: HTMLInputElement) => i.files?.[0]?.name)).toBe('sign.png');
    await p.locator('#submit').click();
    await p.locator('#job-state[data-state="completed"]').waitFor();
    const data = await resultData(p);
    expect(data.text).toContain('Gateway');
    const beside = p.locator('#result .side-by-side');
    expect(await beside.locator('figure[data-kind="boxes"] svg rect').count()).toBe(data.words.length);
    expect(await beside.locator('[data-kind="text"]').textContent()).toContain('1969');
    expect(await p.locator('#result table.facts th', { hasText: 'confidence' }).count()).toBe(1);
    await shot(p, 'ocr-example');
    await p.context().close();
  }, 60_000);
});

describe('output kinds an admin declares', () => {
  it('video with its facts as a table; a table as a table; controls from a schema typed into the space editor', async () => {
    const p = await page();
    await p.goto(`${gw.url}/signin`);
    await p.getByLabel('Username').fill('admin');
    await p.getByLabel('Password').fill(ADMIN_TOKEN);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('link', { name: 'admin', exact: true }).waitFor();
    await p.goto(`${gw.url}/admin`);
    await p.locator('#new-space').click();
    await p.locator('#space-name').fill('clips');
    await p.locator('#space-presentation summary').click();
    await p.locator('#space-output').selectOption('video');
    await p
      .locator('#space-options-schema')
      .fill(JSON.stringify({ type: 'object', properties: { style: { type: 'string', enum: ['calm', 'lively'], default: 'lively', title: 'Style' }, loop: { type: 'boolean', title: 'Loop' } } }));
    await p.locator('#save-space').click();
    await p.locator('tr[data-space="clips"]').waitFor();
    expect((await gw.http('GET', '/v1/spaces/clips')).body).toMatchObject({ output: 'video', options_schema: { properties: { style: { default: 'lively' } } } });

    const worker = await gw.worker(['clips']);
    await openSpace(p, gw.url, 'clips');
    expect(await p.getByLabel('Style', { exact: true }).inputValue()).toBe('lively');
    await p.getByLabel('Style', { exact: true }).selectOption('calm');
    await p.getByLabel('Loop').check();
    await p.locator('#prompt').fill('a sunrise');
    await p.locator('#submit').click();
    const job = await worker.next('job', (m) => m.type === 'job');
    expect(job.options).toEqual({ style: 'calm', loop: true });
    // A made-up clip: the page is judged on what it does with a video result, not on the video.
    worker.send({
      type: 'result',
      job: job.job,
      data: { duration_s: 2.5, fps: 25, frames: 62, model_used: 'test clip', size: { width: 320, height: 240 } },
      files: [{ name: 'clip.mp4', mime: 'video/mp4', data: 'AAAA' }],
    });
    await p.locator('#job-state[data-state="completed"]').waitFor();
    const facts = p.locator('#result table.facts');
    expect(await facts.locator('tr', { hasText: 'fps' }).locator('td').textContent()).toBe('25');
    expect(await facts.locator('tr', { hasText: 'duration s' }).locator('td').textContent()).toBe('2.5');
    expect(await facts.locator('tr', { hasText: 'size' }).locator('td').textContent()).toBe('width 320 · height 240');
    expect(await p.locator('#result video[data-kind="video"]').count()).toBe(1);

    await gw.admin('PATCH', '/v1/admin/spaces/clips', { output: 'table', options_schema: null });
    await p.reload();
    await p.locator('#space-status[data-status="connected"]').waitFor();
    expect(await p.locator('#options').count()).toBe(0);
    await p.locator('#prompt').fill('rows');
    await p.locator('#submit').click();
    const second = await worker.next('job', (m) => m.type === 'job' && m.job !== job.job);
    worker.send({
      type: 'result',
      job: second.job,
      data: [
        { name: 'a', score: 0.9 },
        { name: 'b', score: 0.4, note: 'low' },
      ],
    });
    const table = p.locator('#result table[data-kind="table"]');
    await table.waitFor();
    expect(await table.locator('thead th').allTextContents()).toEqual(['name', 'score', 'note']);
    expect(await table.locator('tbody tr').nth(1).locator('td').allTextContents()).toEqual(['b', '0.4', 'low']);
    worker.close();
    await p.context().close();
  }, 60_000);
});
