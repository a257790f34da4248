// A real headless Chromium for tests (Debian's `chromium`, driven by puppeteer-core): a private
// profile in a temp directory, and teardown by the browser's own PID. As root Chromium needs
// --no-sandbox (its sandbox refuses to run as root).
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { makeTempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Screenshots the tests take: kept for people to look at, never committed (.gitignore). */
export const ARTIFACTS = resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'ui');

export interface TestBrowser {
  readonly browser: Browser;
  readonly pid: number | undefined;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await makeTempDir('chromium');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--headless=new', '--no-sandbox', '--no-first-run', '--no-default-browser-check', '--disable-gpu', '--disable-extensions', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--metrics-recording-only'],
  });
  const pid = browser.process()?.pid;
  return {
    browser,
    pid,
    async newPage() {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      return page;
    },
    async close() {
      await browser.close().catch(() => undefined);
      // Ended by its PID if closing did not end it.
      if (pid !== undefined && isAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, message: 'chromium ends' }).catch(() => { if (isAlive(pid)) process.kill(pid, 'SIGKILL'); });
      }
      await rm(profile, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The whole page, or one element of it (`selector`), as test-artifacts/ui/NAME.png. */
export async function screenshot(page: Page, name: string, selector?: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  const element = selector === undefined ? null : await page.$(selector);
  if (element === null) await page.screenshot({ path, fullPage: true });
  else await element.screenshot({ path });
  return path;
}
