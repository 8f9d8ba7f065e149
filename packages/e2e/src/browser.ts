// Chromium via playwright-core (Debian's /usr/bin/chromium; `npx playwright install` cannot run offline).
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { inject } from "vitest";
import { ACCOUNTS, E2E_PASSWORD, type TAccount } from "./accounts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function baseUrl(): string {
  return inject("baseUrl");
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ baseURL: baseUrl(), viewport: { width: 1360, height: 900 } });
}

// Signs in through the real form; resolves once the role's start page has loaded. The form goes to "/" first,
// whose server redirect to the role's page is a second client navigation: waiting only for "not /login" let a
// busy machine's test read the page while it was still at "/".
export async function login(
  page: Page,
  who: TAccount | { email: string },
  password = E2E_PASSWORD,
): Promise<void> {
  await page.goto("/login");
  await page.fill('input[name="email"]', typeof who === "string" ? ACCOUNTS[who].email : who.email);
  await page.fill('input[name="password"]', password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== "/" && !url.pathname.startsWith("/login")),
    page.press('input[name="password"]', "Enter"),
  ]);
  await page.waitForLoadState("networkidle");
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(inject("screenshotDir"), `${name}.png`);
  // A full-page capture keeps the sticky header where the page is scrolled to, over the content: scroll to the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
  return path;
}

export type TPageTiming = {
  path: string;
  status: number;
  wallMs: number;
  domContentLoadedMs: number;
  loadMs: number;
};

// Navigation timing of one page load (server render included): wall clock of goto + the browser's own marks.
export async function timePage(page: Page, path: string): Promise<TPageTiming> {
  const t0 = performance.now();
  const res = await page.goto(path, { waitUntil: "load" });
  const wallMs = performance.now() - t0;
  const nav = await page.evaluate(() => {
    const e = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    return e ? { dcl: e.domContentLoadedEventEnd, load: e.loadEventEnd } : { dcl: 0, load: 0 };
  });
  return {
    path,
    status: res?.status() ?? 0,
    wallMs: Math.round(wallMs),
    domContentLoadedMs: Math.round(nav.dcl),
    loadMs: Math.round(nav.load),
  };
}
