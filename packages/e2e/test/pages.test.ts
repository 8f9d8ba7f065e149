// Every main page, as the role that uses it: loads with HTTP 200, gets a screenshot, and its load time is
// measured (printed as a table and written to screenshots/page-times.json).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import type { TAccount } from "../src/accounts";
import { launchBrowser, login, newContext, screenshot, type TPageTiming, timePage } from "../src/browser";

const PAGES: [TAccount, string][] = [
  ["annotator1", "/label"],
  ["admin", "/admin/users"],
  ["admin", "/admin/datasets"],
  ["admin", "/admin/snapshots"],
  ["admin", "/admin/runs"],
  ["admin", "/admin/jobs"],
  ["researcher", "/research/agreement"],
  ["researcher", "/research/runs"],
  ["researcher", "/research/compare"],
];

let browser: Browser;
const timings: (TPageTiming & { role: TAccount; warmMs: number })[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  if (timings.length === 0) return;
  console.log(
    "e2e: page load times on the demo data (first = first visit by a fresh session, warm = reload right after; load event, server render included)",
  );
  console.log("  page                     role         status  first ms  warm ms  (DOMContentLoaded ms)");
  for (const t of timings) {
    console.log(
      `  ${t.path.padEnd(24)} ${t.role.padEnd(12)} ${String(t.status).padEnd(7)} ${String(t.wallMs).padStart(8)} ${String(t.warmMs).padStart(8)}  (${t.domContentLoadedMs})`,
    );
  }
  writeFileSync(join(inject("screenshotDir"), "page-times.json"), JSON.stringify(timings, null, 2));
});

it("the login page renders", async () => {
  const page = await (await newContext(browser)).newPage();
  const t = await timePage(page, "/login");
  expect(t.status).toBe(200);
  await screenshot(page, "login");
  timings.push({ ...t, role: "annotator1", warmMs: (await timePage(page, "/login")).wallMs });
});

it.each(PAGES)("%s: %s loads (200), screenshot, timed", async (who, path) => {
  const context = await newContext(browser);
  const page = await context.newPage();
  await login(page, who);
  const first = await timePage(page, path);
  const warm = await timePage(page, path);
  await page.waitForLoadState("networkidle");
  await screenshot(page, path.slice(1).replaceAll("/", "-"));
  timings.push({ ...first, role: who, warmMs: warm.wallMs });
  await context.close();
  expect(first.status).toBe(200);
});
