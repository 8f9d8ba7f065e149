// Admin dataset pages on the demo data: coverage per split, the dataset page with its leak-guard section, a
// folder import refused with a clear 400, and the snapshot page's form.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser, login, newContext, screenshot } from "../src/browser";
import { e2eDb } from "../src/db";
import { signIn } from "../src/http";

const db = e2eDb();
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await (await newContext(browser)).newPage();
  await login(page, "admin");
});
afterAll(async () => {
  await browser?.close();
  await db.$disconnect();
});

it("lists every dataset with its image count per split", async () => {
  await page.goto("/admin/datasets");
  const table = page.locator('[data-testid="datasets-table"]');
  for (const d of await db.dataset.findMany()) {
    const row = table.locator("tr", { hasText: d.name });
    expect(await row.count()).toBe(1);
    const train = await db.image.count({ where: { datasetId: d.id, split: "TRAIN" } });
    expect(await row.textContent()).toContain(train.toLocaleString("en-US"));
  }
  await screenshot(page, "admin-datasets");
});

it("shows a dataset's coverage and leak guard with thumbnails", async () => {
  const d = await db.dataset.findFirstOrThrow({ orderBy: { createdAt: "asc" } });
  await page.goto(`/admin/datasets/${d.id}`);
  await page.waitForSelector("text=Leak guard");
  const cross = await db.duplicatePair.count({ where: { datasetId: d.id, crossSplit: true, kind: "EXACT" } });
  expect(await page.textContent('[data-testid="leak-exact-cross"]')).toContain(String(cross));
  if ((await db.duplicatePair.count({ where: { datasetId: d.id } })) > 0) {
    const img = page.locator('[data-testid="leak-pairs"] img').first();
    expect(await img.getAttribute("src")).toMatch(/^data:image\/bmp;base64,/);
    expect(await img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(48);
  }
  await screenshot(page, "admin-dataset-detail");
});

it("refuses a relative or missing import folder with a clear 400 and changes nothing", async () => {
  const { session } = await signIn("admin");
  const before = await db.image.count();
  const rel = await session!.fetch("/api/datasets", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ datasetSlug: "x", path: "relative/dir", layout: "auto" }),
  });
  expect(rel.status).toBe(400);
  expect(((await rel.json()) as { error: string }).error).toContain("absolute path");
  const missing = await session!.fetch("/api/datasets", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ datasetSlug: "x", path: "/nonexistent/concord", layout: "auto" }),
  });
  expect(missing.status).toBe(400);
  expect(((await missing.json()) as { error: string }).error).toContain("does not exist");
  expect(await db.image.count()).toBe(before);
  expect(await db.dataset.count({ where: { slug: "x" } })).toBe(0);
});

it("shows the snapshot form and the snapshot list", async () => {
  await page.goto("/admin/snapshots");
  await page.waitForSelector('[data-testid="snapshot-form"]');
  await page.waitForSelector('[data-testid="snapshots-table"]');
  await screenshot(page, "admin-snapshots");
});
