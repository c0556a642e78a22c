/**
 * Debian's chromium driven by playwright-core for the status page tests, and where their screenshots go
 * (test-output/, git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'page');

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

export const shot = (name: string) => join(SCREENSHOTS, `${name}.png`);
