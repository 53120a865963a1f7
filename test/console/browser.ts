import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium, driven by playwright-core (which never downloads a browser of its own). */
export const CHROMIUM = process.env.TIDEMARK_CHROMIUM ?? '/usr/bin/chromium';

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** Where the test leaves its screenshots (printed at the end; outside the work tree). */
export const SCREENS = process.env.TIDEMARK_SCREENS ?? join(tmpdir(), 'tidemark-console-screens');
mkdirSync(SCREENS, { recursive: true });

export async function shot(page: Page, name: string): Promise<string> {
  const path = join(SCREENS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Bytes a page load moved over the wire (headers and bodies as sent, compressed), measured by
 * the browser itself (CDP Network.loadingFinished) in a context with an empty cache.
 */
export async function firstLoadBytes(context: BrowserContext, url: string): Promise<{ bytes: number; requests: number }> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
    bytes += e.encodedDataLength;
    requests++;
  });
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.close();
  return { bytes, requests };
}
