/**
 * The web enrollment end-to-end suites: a real Tessera HTTPS server with the certsrv
 * pages, the page script freshly bundled the way scripts/build.mjs does, Debian's
 * Chromium (test/support/browser.ts), and OpenSSL to judge what the browser saved.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Download, Page } from 'playwright-core';
import { screenshot } from '../support/browser.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PASSWORD = 'correct horse battery';

/**
 * Bundle src/client/web/main.ts to dist/web/public/enroll.js (as scripts/build.mjs does)
 * before a server starts, so the suite tests the current client. Written to a temporary
 * name and renamed: two suites may build at once.
 */
export async function buildClientBundle(): Promise<void> {
  const outDir = join(root, 'dist', 'web', 'public');
  mkdirSync(outDir, { recursive: true });
  const tmp = join(outDir, `enroll.${process.pid}.${Date.now()}.tmp.js`);
  await build({
    entryPoints: [join(root, 'src', 'client', 'web', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    outfile: tmp,
    logLevel: 'warning',
  });
  renameSync(tmp, join(outDir, 'enroll.js'));
  const css = join(root, 'src', 'web', 'static', 'tessera.css');
  if (existsSync(css) && !existsSync(join(outDir, 'tessera.css'))) copyFileSync(css, join(outDir, 'tessera.css'));
}

/** Sign in through the form the site redirects to. */
export async function signIn(
  page: Page,
  base: string,
  username: string,
  password = PASSWORD,
  shot?: string,
): Promise<void> {
  await page.goto(`${base}/certsrv/`);
  await page.waitForFunction(() => document.body?.dataset.page === 'signin');
  await page.fill('#username', username);
  await page.fill('#password', password);
  if (shot) await screenshot(page, shot);
  await Promise.all([page.waitForURL(/\/certsrv\/($|\?|certdflt)/), page.click('button[type=submit]')]);
  const landed = await pageId(page);
  if (landed !== 'welcome')
    throw new Error(`signing in as ${username} landed on "${landed}": ${await page.locator('main').innerText()}`);
}

export const pageId = (page: Page) => page.evaluate(() => document.body.dataset.page ?? '');
export const heading = (page: Page) => page.locator('h1').innerText();

/** Wait until the page script has set itself up. */
export async function scriptReady(page: Page): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
}

/** The error the page shows next to a field (the element the script adds after it). */
export async function fieldErrorText(page: Page, id: string): Promise<string> {
  const err = page.locator(`#${id}-error`);
  await err.waitFor({ state: 'visible', timeout: 30_000 });
  return err.innerText();
}

export async function statusText(page: Page): Promise<string> {
  return page.locator('#status').innerText();
}

/** Submit the request form and wait for certfnsh.asp's result page. */
export async function submitAndWait(page: Page, button = '#btnSubmit', timeout = 120_000): Promise<string> {
  await Promise.all([page.waitForURL(/certfnsh\.asp/, { timeout }), page.click(button)]);
  await page.waitForLoadState('domcontentloaded');
  return pageId(page);
}

/** Click Install and save the download. */
export async function installDownload(
  page: Page,
  dir: string,
): Promise<{ file: string; name: string; download: Download }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#btnInstall')]);
  const name = download.suggestedFilename();
  const file = join(dir, name);
  await download.saveAs(file);
  return { file, name, download };
}

export const DOCS_SCREENSHOTS = join(root, 'docs', 'screenshots');

/**
 * A key screen for the README: saved to test-output/screenshots/ like every screenshot,
 * and copied to docs/screenshots/ when that copy is missing or UPDATE_DOCS_SCREENSHOTS=1
 * (so ordinary runs do not rewrite committed images whose card serials and dates change).
 */
export async function docScreenshot(page: Page, name: string): Promise<void> {
  const f = await screenshot(page, name);
  const doc = join(DOCS_SCREENSHOTS, `${name}.png`);
  if (existsSync(doc) && !process.env.UPDATE_DOCS_SCREENSHOTS) return;
  mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
  copyFileSync(f, doc);
}

export interface StoredKey {
  readonly handle: string;
  readonly provider: string;
  readonly friendlyName: string;
  readonly exportable?: boolean;
  /** For browser keys: the vault key's extractable flag and the record's field names. */
  readonly vaultExtractable?: boolean;
  readonly fields: string[];
}

/** A record of tessera-enroll/keys (KeyRecord in src/client/web/keyStore.ts), whichever provider wrote it. */
interface StoredRecord {
  readonly handle: string;
  readonly provider: string;
  readonly friendlyName: string;
  readonly exportable?: boolean;
  readonly key?: { readonly vault?: CryptoKey };
}

/** What the page keeps in this browser's IndexedDB (tessera-enroll/keys), read from the page. */
export function storedKeys(page: Page): Promise<StoredKey[]> {
  return page.evaluate(
    () =>
      new Promise<StoredKey[]>((resolve, reject) => {
        const open = indexedDB.open('tessera-enroll');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('keys')) return resolve([]);
          const all = db.transaction('keys').objectStore('keys').getAll();
          all.onsuccess = () =>
            resolve(
              (all.result as StoredRecord[]).map((r) => ({
                handle: r.handle,
                provider: r.provider,
                friendlyName: r.friendlyName,
                exportable: r.exportable,
                vaultExtractable: r.key?.vault?.extractable,
                fields: [...Object.keys(r), ...Object.keys(r.key ?? {}).map((k) => `key.${k}`)].sort(),
              })),
            );
          all.onerror = () => reject(all.error);
        };
      }),
  );
}
