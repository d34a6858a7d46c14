// Real headless Chromium (Debian's `chromium`, installed by scripts/ensure-tools.js) driven by playwright-core.
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SELFHEAL_CHROMIUM ?? '/usr/bin/chromium';

/** Quiet, offline Chromium: no background traffic of its own, so every request seen is the page's. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let shared: Promise<Browser> | null = null;

/** One browser per test file; the file closes it with `after(closeBrowser)`. */
export function browser(): Promise<Browser> {
  shared ??= chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  return shared;
}

export async function closeBrowser(): Promise<void> {
  const b = shared;
  shared = null;
  if (b) await (await b).close();
}

export interface ConsolePage {
  page: Page;
  /** Script errors and console errors not expected by the test. */
  problems: string[];
  /** Requests that left the console's origin. */
  offOrigin: string[];
  /** Every URL the page requested. */
  urls: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  width?: number;
  height?: number;
  /** Console "failed to load resource" errors the test provokes on purpose, by HTTP status. */
  expectStatuses?: number[];
  /** Web-config basic auth: the browser's own login, sent with every request. */
  basicAuth?: { username: string; password: string };
}

/** Endpoints that exist only after the lead's branch is merged; their 404 is logged by Chromium as an error. */
const NOT_YET_MERGED = /\/recovery\/(status|maintenance)(\?|$)/;

function unexpected(m: ConsoleMessage, allowed: number[]): boolean {
  if (m.type() !== 'error') return false;
  const status = /status of (\d{3})/.exec(m.text());
  if (status && allowed.includes(Number(status[1]))) return false;
  if (status && status[1] === '404' && NOT_YET_MERGED.test(m.location().url)) return false;
  return true;
}

/** Opens the console in a fresh context (its own sessionStorage) and waits for the first state. */
export async function openConsole(origin: string, opts: OpenOptions = {}): Promise<ConsolePage> {
  const b = await browser();
  const context = await b.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    httpCredentials: opts.basicAuth ? { ...opts.basicAuth, send: 'always' } : undefined,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const offOrigin: string[] = [];
  const urls: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (unexpected(m, opts.expectStatuses ?? [])) problems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on('request', (r) => {
    urls.push(r.url());
    if (new URL(r.url()).origin !== origin) offOrigin.push(r.url());
  });
  await page.goto(`${origin}/`);
  await page.waitForSelector('tr[data-subsystem]', { timeout: 30_000 });
  return { page, problems, offOrigin, urls, close: () => context.close() };
}
