/**
 * Debian's Chromium (/usr/bin/chromium) driven by playwright-core for the web enrollment
 * suites: a fresh profile (and home directory) per launch, headless, no network services
 * of its own, HTTPS errors ignored for the test CA's "localhost" certificate (the page
 * stays a secure context, so WebCrypto works), downloads accepted. Never downloads a browser.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tmpDir } from './openssl.js';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

export interface TestBrowser {
  readonly context: BrowserContext;
  readonly profile: string;
  /** What the pages printed to the console and the errors they threw (for failure messages). */
  readonly console: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function launchChromium(): Promise<TestBrowser> {
  const profile = tmpDir('chromium-profile-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    // playwright adds --headless (and --user-data-dir=<profile>) itself.
    headless: true,
    args: CHROMIUM_FLAGS,
    // Chromium keeps its NSS database (~/.local/share/pki/nssdb) and dconf cache under
    // $HOME whatever the profile: point HOME and the XDG directories into the profile so
    // a run leaves nothing in the real home directory.
    env: {
      ...process.env,
      HOME: profile,
      XDG_CONFIG_HOME: join(profile, '.config'),
      XDG_CACHE_HOME: join(profile, '.cache'),
      XDG_DATA_HOME: join(profile, '.local', 'share'),
    },
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    viewport: { width: 1100, height: 900 },
    locale: 'en-US',
    timeout: 60_000,
  });
  const log: string[] = [];
  const watch = (p: Page) => {
    p.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
    p.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    profile,
    console: log,
    async newPage() {
      return context.pages().find((p) => p.url() === 'about:blank') ?? (await context.newPage());
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Save a full-page screenshot as test-output/screenshots/<name>.png and return its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
