// Debian's Chromium driven by playwright-core (playwright cannot download its own browsers here).
import fs from 'fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Chromium is: $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function hasChromium(): boolean {
  return fs.existsSync(CHROMIUM);
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Console errors, failed requests and uncaught page errors, collected from the moment the page opens. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      errors.push(`console.error: ${msg.text()}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400) {
      errors.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    }
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return errors;
}
