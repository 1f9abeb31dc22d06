import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium, headless, with the flags that work on these machines (shared/STACK.md). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Opens a space's page in the web UI and waits until it shows the space connected (a worker serves it). */
export async function openSpace(page: Page, gatewayUrl: string, space: string): Promise<void> {
  await page.goto(`${gatewayUrl}/s/${space}`);
  await page.locator('#space-status[data-status="connected"]').waitFor();
}
