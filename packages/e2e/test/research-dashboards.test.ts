// Researcher dashboards and exports on the demo data, and who may use them.
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
  await login(page, "researcher");
});
afterAll(async () => {
  await browser?.close();
  await db.$disconnect();
});

it("the agreement dashboard shows kappa and alpha labelled with their split, and sortable tables", async () => {
  // The dataset with identified annotator votes (the demo's synthetic crowd) shows the annotator table.
  const voted = await db.vote.findFirst({ select: { image: { select: { datasetId: true } } } });
  const datasetId = voted?.image.datasetId ?? (await db.dataset.findFirstOrThrow()).id;
  await page.goto(`/research/agreement?datasetId=${datasetId}`);
  const kappa = await page.textContent('[data-testid="stat-kappa"]');
  expect(kappa).toMatch(/Fleiss' κ\s*-?\d\.\d{3}/);
  expect(kappa).toContain("split: all splits");
  const table = page.locator('[data-testid="per-class-agreement"]');
  const first = () => table.locator("tbody tr td").first().textContent();
  const { taxonomy } = await db.dataset.findUniqueOrThrow({ where: { id: datasetId } });
  const sorted = [...taxonomy].sort((a, b) => a.localeCompare(b));
  await table.getByRole("button", { name: "Class", exact: true }).click(); // first click: descending
  expect(await first()).toBe(sorted.at(-1));
  await table.getByRole("button", { name: "Class", exact: true }).click();
  expect(await first()).toBe(sorted[0]);
  if (voted) {
    await page.locator('[data-testid="annotator-table"] tbody tr').first().click();
    await page.waitForSelector('[data-testid="annotator-confusion"] h3');
  }
  await screenshot(page, "research-agreement");
  await page.goto(`/research/agreement?datasetId=${datasetId}&split=VALID`);
  expect(await page.textContent("body")).toContain("valid");
});

it("exports votes as CSV for researchers; annotators get 403 and anonymous 401", async () => {
  const d = await db.dataset.findFirstOrThrow();
  const researcher = (await signIn("researcher")).session!;
  const csv = await researcher.fetch(`/api/exports/votes?datasetId=${d.id}&format=csv`);
  expect(csv.status).toBe(200);
  expect((await csv.text()).split("\r\n")[0]).toBe(
    "image,split,source,annotator,label,count,durationMs,createdAt",
  );
  const bad = await researcher.fetch(`/api/exports/votes?datasetId=${d.id}&format=xml`);
  expect(bad.status).toBe(400);
  const annotator = (await signIn("annotator1")).session!;
  expect((await annotator.fetch(`/api/exports/votes?datasetId=${d.id}`)).status).toBe(403);
  expect(
    (await fetch(`${page.url().split("/research")[0]}/api/exports/votes?datasetId=${d.id}`)).status,
  ).toBe(401);
  // Researchers read but never change data.
  const snap = await researcher.fetch("/api/snapshots", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ datasetId: d.id, method: "mv" }),
  });
  expect(snap.status).toBe(403);
  expect((await annotator.fetch("/api/runs")).status).toBe(403);
});

it("runs and compare pages render for researchers, admin pages do not", async () => {
  await page.goto("/research/runs");
  await page.waitForSelector('[data-testid="runs-table"]');
  await page.goto("/research/compare");
  expect(await page.textContent("body")).toContain("Compare runs");
  const res = await page.goto("/admin/runs");
  expect(res?.status()).toBe(403);
});

it("times the heaviest dashboards on the largest dataset (printed for the closing note)", async () => {
  const datasets = await db.dataset.findMany({ include: { _count: { select: { images: true } } } });
  const big = datasets.sort((a, b) => b._count.images - a._count.images)[0]!;
  const admin = await (await newContext(browser)).newPage();
  await login(admin, "admin");
  const rows: string[] = [];
  for (const [p, path] of [
    [page, `/research/agreement?datasetId=${big.id}`],
    [page, `/research/agreement?datasetId=${big.id}&split=VALID`],
    [admin, `/admin/datasets/${big.id}`],
    [admin, "/admin/datasets"],
  ] as const) {
    const t0 = performance.now();
    const res = await p.goto(path, { waitUntil: "load" });
    const first = performance.now() - t0;
    const t1 = performance.now();
    await p.goto(path, { waitUntil: "load" });
    const warm = performance.now() - t1;
    expect(res?.status()).toBe(200);
    rows.push(
      `  ${path.replace(big.id, `<${big.slug}>`).padEnd(48)} first ${first.toFixed(0).padStart(6)} ms  warm ${warm.toFixed(0).padStart(6)} ms`,
    );
  }
  console.log(`e2e: web B page loads on ${big.slug} (${big._count.images} images):\n${rows.join("\n")}`);
  await admin.context().close();
}, 180_000);
