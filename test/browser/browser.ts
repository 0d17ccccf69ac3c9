/**
 * Shared pieces of the browser tests: building the web application, launching Debian's Chromium
 * through playwright-core, and signing in through the real sign-in form. A missing Chromium fails
 * the tests with a message that says how to install it; nothing is skipped.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestSystem, type TestSystem, type TestSystemOptions } from '../helpers/system.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const webRoot = join(repoRoot, 'command-ui', 'web');
const distIndex = join(webRoot, 'dist', 'index.html');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags every headless Chromium here needs (no sandbox as root; no calls out of this closed network). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/**
 * Build command-ui/web into command-ui/web/dist unless the build is newer than every source of it
 * (the web sources, its Vite configuration and the shared contracts). The server decides at start
 * whether a build exists, so call this before starting the test system.
 */
export function ensureWebBuilt(): void {
  const sources = Math.max(newestMtime(join(webRoot, 'src')), newestMtime(join(webRoot, 'index.html')), newestMtime(join(webRoot, 'vite.config.ts')), newestMtime(join(repoRoot, 'contracts')));
  if (existsSync(distIndex) && statSync(distIndex).mtimeMs > sources) return;
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(webRoot, 'vite.config.ts'), '--logLevel', 'warn'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 120_000,
  });
  if (!existsSync(distIndex)) throw new Error(`the web build did not produce ${distIndex}`);
}

export async function launchChromium(): Promise<Browser> {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium is required for the browser tests and was not found at ${CHROMIUM_PATH}. ` +
        'Install it with `apt-get install -y chromium fonts-noto-cjk` (or set CHROMIUM_PATH). The browser tests are never skipped.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** What a test context may set besides the language: a device position (granted) and the window size. */
export interface PageOptions {
  locale?: string;
  /** The position `navigator.geolocation` reports; permission to read it is granted. */
  geolocation?: { latitude: number; longitude: number; accuracy?: number };
  viewport?: { width: number; height: number };
}

/** A fresh context (no stored token or language) with page errors collected for assertions. */
export async function newPage(browser: Browser, options: PageOptions = {}): Promise<{ context: BrowserContext; page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: options.viewport ?? { width: 1440, height: 900 },
    ...(options.geolocation ? { geolocation: options.geolocation, permissions: ['geolocation'] } : {}),
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { context, page, pageErrors };
}

/** Sign in through the form and wait for the application shell. */
export async function signIn(page: Page, baseUrl: string, user: { username: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}/`);
  const form = page.getByTestId('login-form');
  await form.locator('input[name=username]').fill(user.username);
  await form.locator('input[name=password]').fill(user.password);
  await form.locator('button[type=submit]').click();
  await page.getByTestId('main-nav').waitFor();
}

/** Everything a user could see or copy from the page: markup, text and the values of inputs. */
export async function pageContent(page: Page): Promise<string> {
  return page.evaluate(() => {
    const values = [...document.querySelectorAll('input, textarea, select')].map((e) => (e as HTMLInputElement).value);
    return [document.documentElement.outerHTML, document.body.innerText, ...values].join('\n');
  });
}

export interface BrowserFixture {
  /** The running system and browser, started on first use; a failure to start fails each test that asks. */
  ready(): Promise<{ sys: TestSystem; browser: Browser }>;
  /** A fresh context and page, closed after the test by `closePages()`. */
  open(options?: PageOptions): Promise<{ page: Page; pageErrors: string[]; sys: TestSystem; context: BrowserContext }>;
  closePages(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One Argus and one Chromium per test file, started lazily inside the first test rather than in
 * `beforeAll`: when Chromium or a service is missing every test fails with the reason, instead of
 * being reported as skipped.
 */
export function browserFixture(setup?: (sys: TestSystem) => Promise<void>, systemOptions: TestSystemOptions = {}): BrowserFixture {
  let started: Promise<{ sys: TestSystem; browser: Browser }> | undefined;
  const contexts: BrowserContext[] = [];
  const ready = () =>
    (started ??= (async () => {
      ensureWebBuilt();
      const browser = await launchChromium();
      let sys: TestSystem | undefined;
      try {
        sys = await startTestSystem(systemOptions);
        await setup?.(sys);
        return { sys, browser };
      } catch (error) {
        await browser.close();
        await sys?.stop();
        throw error;
      }
    })());
  return {
    ready,
    async open(options = {}) {
      const { sys, browser } = await ready();
      const { context, page, pageErrors } = await newPage(browser, options);
      contexts.push(context);
      return { page, pageErrors, sys, context };
    },
    async closePages() {
      while (contexts.length) await contexts.pop()!.close();
    },
    async stop() {
      if (!started) return;
      const result = await started.catch(() => null);
      if (!result) return;
      await result.browser.close();
      await result.sys.stop();
    },
  };
}
