// An admin launches a small training run from /admin/runs and watches it progress to SUCCEEDED on the live
// page (no reload), with a real worker (apps/worker) on the same database and the harness's unique queue
// prefix; then a researcher opens the run dashboard and the agreement-vs-F1 scatter has one point per class.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopProcessGroup, type TServerProcess } from "@concord/web-runner";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser, login, newContext, screenshot } from "../src/browser";
import { e2eDb } from "../src/db";
import { signIn } from "../src/http";
import { startWorker } from "../src/worker";

const db = e2eDb();
let browser: Browser;
let worker: TServerProcess | undefined;
let artifacts = "";
let runId = "";

beforeAll(async () => {
  artifacts = mkdtempSync(join(tmpdir(), "concord-e2e-artifacts-"));
  // npx -> tsx -> node in its own process group, stopped as a whole when this file ends.
  worker = await startWorker({ queues: "labels,train,evaluate", artifactsDir: artifacts });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  // The worker closes BullMQ on SIGTERM; a job it is still running may take a while to give up.
  if (worker) await stopProcessGroup(worker.child, 10_000);
  if (artifacts) rmSync(artifacts, { recursive: true, force: true });
  await db.$disconnect();
});

it("refuses absurd run configs with 400 naming the field, and researchers cannot launch", async () => {
  const { session } = await signIn("admin");
  const dataset = await db.dataset.findFirstOrThrow();
  const before = await db.trainingRun.count();
  for (const [field, value] of [
    ["epochs", 501],
    ["learningRate", 0],
    ["batchSize", 4096],
  ] as const) {
    const res = await session!.fetch("/api/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        datasetId: dataset.id,
        model: "fast",
        scheme: "probability",
        eps: 0,
        epochs: 2,
        patience: 0,
        learningRate: 0.001,
        batchSize: 32,
        seed: 1,
        [field]: value,
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: string;
      details: { field: string; issues: { field: string; message: string }[] };
    };
    expect(body.details.field).toBe(field);
    expect(body.error).toMatch(new RegExp(`^${field}: `));
    expect(body.details.issues[0]).toEqual({ field, message: body.error });
  }
  expect(await db.trainingRun.count()).toBe(before);
  const researcher = (await signIn("researcher")).session!;
  const res = await researcher.fetch("/api/runs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  expect(res.status).toBe(403);
});

it("an admin launches a small run and sees it progress to SUCCEEDED without reloading", async () => {
  // The smallest dataset with train and valid faces keeps the run to seconds of WASM training.
  const datasets = await db.dataset.findMany({ include: { _count: { select: { images: true } } } });
  const candidates = [];
  for (const d of datasets) {
    const valid = await db.image.count({ where: { datasetId: d.id, split: "VALID" } });
    if (valid > 0) candidates.push({ d, valid });
  }
  candidates.sort((a, b) => a.d._count.images - b.d._count.images);
  const dataset = candidates[0]!.d;

  const page = await (await newContext(browser)).newPage();
  await login(page, "admin");
  await page.goto("/admin/runs");
  const form = page.locator('[data-testid="run-form"]');
  await form.locator('input[name="name"]').fill("e2e small run");
  await form.locator('select[name="datasetId"]').selectOption(dataset.id);
  await form.locator('select[name="model"]').selectOption("fast");
  await form.locator('input[name="epochs"]').fill("2");
  await form.locator('input[name="patience"]').fill("0");
  await form.locator('input[name="batchSize"]').fill("32");
  await form.locator('input[name="maxTrainImages"]').fill("256");
  // A refused value: the 400 names the field and the form shows its message next to that field.
  await form.locator('input[name="epochs"]').fill("501");
  await form.locator('button[type="submit"]').click();
  expect(await form.locator('[data-testid="error-epochs"]').textContent()).toBe("epochs: <= 500");
  await form.locator('input[name="epochs"]').fill("2");
  // Corrected: the field's message goes with the edit.
  expect(await form.locator('[data-testid="error-epochs"]').count()).toBe(0);
  await screenshot(page, "admin-runs-form");
  await Promise.all([
    page.waitForURL(/\/admin\/runs\/[a-z0-9]+$/),
    form.locator('button[type="submit"]').click(),
  ]);
  runId = page.url().split("/").pop()!;
  // A marker on window survives only if the page is never reloaded.
  await page.evaluate(() => {
    (window as unknown as { __noReload: number }).__noReload = 1;
  });
  const live = page.locator('[data-testid="run-live"]');
  const seen = new Set<string>();
  const deadline = Date.now() + 300_000;
  for (;;) {
    const status = (await live.getAttribute("data-status")) ?? "";
    seen.add(`${status}:${await live.getAttribute("data-epoch")}`);
    if (status === "SUCCEEDED") break;
    if (status === "FAILED" || status === "CANCELLED") {
      throw new Error(`run ended ${status}: ${await page.textContent("body")}\nworker:\n${worker?.output()}`);
    }
    if (Date.now() > deadline)
      throw new Error(`run not done after 300 s (seen ${[...seen]}):\nworker:\n${worker?.output()}`);
    if (seen.size === 2) {
      await page.mouse.move(0, 0); // no chart tooltip in the screenshot
      await screenshot(page, "admin-run-live");
    }
    await page.waitForTimeout(500);
  }
  expect(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload)).toBe(1);
  // The page moved through at least one intermediate state (queued/running epoch) before SUCCEEDED.
  expect(seen.size).toBeGreaterThanOrEqual(2);
  await page.waitForSelector('[data-testid="learning-curves"]');
  expect(await page.textContent('[data-testid="run-epoch"]')).toContain("epoch 2 / 2");
  await page.mouse.move(0, 0);
  await screenshot(page, "admin-run-done");
  const run = await db.trainingRun.findUniqueOrThrow({
    where: { id: runId },
    include: { epochs: true, evaluations: true },
  });
  expect(run.status).toBe("SUCCEEDED");
  expect(run.epochs).toHaveLength(2);
  expect(run.evaluations.map((e) => e.split)).toContain("VALID");
  // The model artifact downloads as a tar holding the tfjs model.json.
  const tar = await page.request.get(`/api/runs/${runId}/artifact`);
  expect(tar.status()).toBe(200);
  expect(tar.headers()["content-type"]).toBe("application/x-tar");
  expect((await tar.body()).toString("latin1")).toContain("model.json");
  console.log(
    `e2e: run ${runId} on ${dataset.slug}: states seen ${[...seen].join(" -> ")}; backend ${run.backend}`,
  );
}, 360_000);

it("an admin cancels a running run from its page, then retries it with the same config", async () => {
  const first = await db.trainingRun.findUniqueOrThrow({ where: { id: runId } });
  const page = await (await newContext(browser)).newPage();
  await login(page, "admin");
  await page.goto("/admin/runs");
  const form = page.locator('[data-testid="run-form"]');
  await form.locator('input[name="name"]').fill("e2e cancel me");
  await form.locator('select[name="datasetId"]').selectOption(first.datasetId);
  await form.locator('input[name="epochs"]').fill("50");
  await form.locator('input[name="batchSize"]').fill("32");
  await form.locator('input[name="maxTrainImages"]').fill("256");
  await Promise.all([
    page.waitForURL(/\/admin\/runs\/[a-z0-9]+$/),
    form.locator('button[type="submit"]').click(),
  ]);
  const id = page.url().split("/").pop()!;
  const live = page.locator('[data-testid="run-live"]');
  await expect
    .poll(() => live.getAttribute("data-status"), { timeout: 120_000, interval: 500 })
    .toBe("RUNNING");
  const t0 = Date.now();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect
    .poll(() => live.getAttribute("data-status"), { timeout: 60_000, interval: 250 })
    .toBe("CANCELLED");
  console.log(`e2e: cancel -> CANCELLED on the page in ${Date.now() - t0} ms`);
  const cancelled = await db.trainingRun.findUniqueOrThrow({ where: { id } });
  expect(cancelled).toMatchObject({ status: "CANCELLED", cancelRequested: true });
  await page.mouse.move(0, 0);
  await screenshot(page, "admin-run-cancelled");

  await Promise.all([
    page.waitForURL((u) => /\/admin\/runs\/[a-z0-9]+$/.test(u.pathname) && !u.pathname.endsWith(id)),
    page.getByRole("button", { name: "Retry with same config" }).click(),
  ]);
  const retryId = page.url().split("/").pop()!;
  const retry = await db.trainingRun.findUniqueOrThrow({ where: { id: retryId } });
  expect(retry.name).toBe("e2e cancel me (retry)");
  expect(retry.config).toMatchObject({ epochs: 50, batchSize: 32, maxTrainImages: 256 });
  // Stop the retry too: the worker is shut down when this file ends.
  const { session } = await signIn("admin");
  expect((await session!.fetch(`/api/runs/${retryId}/cancel`, { method: "POST" })).status).toBe(200);
}, 240_000);

it("a researcher opens the run dashboard; the agreement-vs-F1 scatter has one point per class", async () => {
  expect(runId).not.toBe("");
  const page = await (await newContext(browser)).newPage();
  await login(page, "researcher");
  const t0 = Date.now();
  const res = await page.goto(`/research/runs/${runId}`);
  expect(res?.status()).toBe(200);
  await page.waitForSelector('[data-testid="agreement-scatter"] .recharts-scatter-symbol');
  console.log(`e2e: /research/runs/[id] loaded with the scatter in ${Date.now() - t0} ms`);
  const report = (await (await page.request.get(`/api/exports/runs/${runId}`)).json()) as {
    run: { evaluations: { split: string; perClass: { label: string; support: number }[] }[] };
    scatter: { split: string; points: { label: string }[] };
  };
  const ev = report.run.evaluations.find((e) => e.split === report.scatter.split)!;
  const classes = ev.perClass.filter((p) => p.support > 0).map((p) => p.label);
  expect(report.scatter.points.map((p) => p.label).sort()).toEqual([...classes].sort());
  const scatter = page.locator('[data-testid="agreement-scatter"]');
  expect(Number(await scatter.getAttribute("data-points"))).toBe(classes.length);
  expect(await scatter.locator(".recharts-scatter-symbol").count()).toBe(classes.length);
  for (const label of classes) expect(await scatter.textContent()).toContain(label);
  await page.waitForSelector('[data-testid="confusion-heatmap"]');
  await page.waitForSelector('[data-testid="per-class-table"]');
  await page.waitForSelector('[data-testid="reliability-diagram"]');
  // Every split whole and without its train twins, n with each, and the rule that chose the checkpoint.
  const table = page.locator('[data-testid="evaluation-table"]');
  expect(await table.locator('[data-testid="n-whole"]').count()).toBe(report.run.evaluations.length);
  expect(await table.locator('[data-testid="n-without-twins"]').count()).toBe(report.run.evaluations.length);
  expect(await table.locator('[data-testid="checkpoint-selection"]').textContent()).toContain(
    // The form's defaults defer the class-balanced loss to the last quarter (epoch 2 of 2) and keep the last epoch.
    "chose the checkpoint: the last epoch: a deferred rebalancing is not selected on (rebalanced from epoch 2 on)",
  );
  // The run fitted per-class decision biases on Valid: their figures beside argmax, cross-fitted there (± SD).
  expect(await table.locator('[data-testid="accuracy-decided"]').count()).toBe(report.run.evaluations.length);
  const validDecided = table.locator('tr[data-split="VALID"] [data-testid="macro-f1-decided"]');
  expect(await validDecided.textContent()).toMatch(/^\d+\.\d% ± \d+\.\d\d$/);
  expect(await table.locator('[data-testid="decisions-note"]').textContent()).toContain(
    "never the in-sample figure",
  );
  await screenshot(page, "research-run-dashboard");
}, 120_000);
