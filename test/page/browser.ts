/**
 * Debian's chromium driven by playwright-core for the status page tests, and where their screenshots go
 * (test-output/, git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'page');

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

export const shot = (name: string) => join(SCREENSHOTS, `${name}.png`);

/** A new page whose session already holds `token` (as after logging in), or none: the login screen. */
export async function openPage(
  browser: Browser,
  token: string | undefined,
  options: Parameters<Browser['newPage']>[0] = {},
): Promise<Page> {
  const page = await browser.newPage(options);
  if (token !== undefined) {
    await page.addInitScript((t) => {
      const w = globalThis as unknown as {
        location: { protocol: string };
        sessionStorage: { setItem(k: string, v: string): void };
      };
      if (w.location.protocol.startsWith('http')) w.sessionStorage.setItem('agora.token', t);
    }, token);
  }
  return page;
}
