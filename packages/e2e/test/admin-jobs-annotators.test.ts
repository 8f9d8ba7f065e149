// Issue 13, admin side, in Chromium against `next start` and real workers (apps/worker) on the e2e database:
// the jobs page shows a queued snapshot (no worker takes the labels queue yet) and a failed run, then the
// snapshot finishing without a reload; excluding an annotator changes the next snapshot; and the fixes
// from "What was seen" (favicon, a refused fake.png, the stale create-user message, role confirmation,
// plurals, closed-form snapshots, the run's code version, compare's config rows, Bull Board's fonts).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, stopProcessGroup, type TServerProcess } from "@concord/web-runner";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser, login, newContext, screenshot } from "../src/browser";
import { e2eDb } from "../src/db";
import { signIn } from "../src/http";
import { startWorker } from "../src/worker";

const db = e2eDb();
const BOARD_TOKEN = "e2e-board-token-13";
const workers: TServerProcess[] = [];
let browser: Browser;
let page: Page;
let artifacts = "";
let boardPort = 0;
let emptyDatasetId = "";
let failedRunId = "";

async function startQueueWorker(queues: string): Promise<TServerProcess> {
  const worker = await startWorker({
    queues,
    artifactsDir: artifacts,
    env: { CONCORD_BOARD_TOKEN: BOARD_TOKEN, CONCORD_RECONCILE_MS: "2000" },
  });
  workers.push(worker);
  boardPort ||= worker.port;
  return worker;
}

beforeAll(async () => {
  artifacts = mkdtempSync(join(tmpdir(), "concord-e2e-jobs-"));
  // Train and evaluate only: a snapshot request stays queued until a second worker takes "labels".
  await startQueueWorker("train,evaluate");
  // A dataset with faces but no vote and no VALID split (so no other file picks it to train on): a run on
  // it fails at once, as it should.
  const ds = await db.dataset.create({
    data: {
      slug: `e2e-no-votes-${Date.now()}`,
      name: "E2E no votes",
      source: "SYNTHETIC",
      taxonomy: ["neutral", "happiness"],
      images: {
        create: [1, 2, 3].map((i) => ({
          split: "TRAIN" as const,
          externalId: `nv${i}`,
          sha256: String(i).padStart(64, "e"),
          phash: "0".repeat(16),
          pixels: new Uint8Array(48 * 48).fill(i),
        })),
      },
    },
  });
  emptyDatasetId = ds.id;
  browser = await launchBrowser();
  page = await (await newContext(browser)).newPage();
  await login(page, "admin");
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const w of workers) await stopProcessGroup(w.child, 10_000);
  if (artifacts) rmSync(artifacts, { recursive: true, force: true });
  // Leave no exclusion behind for the other files' snapshots.
  await db.annotatorExclusion.updateMany({ where: { revokedAt: null }, data: { revokedAt: new Date() } });
  await db.$disconnect();
});

const synthetic = () => db.dataset.findFirstOrThrow({ where: { slug: "synthetic" } });

async function requestSnapshot(datasetId: string, method: string): Promise<string> {
  const before = await db.snapshotJob.count({ where: { datasetId } });
  await page.goto(`/admin/snapshots?datasetId=${datasetId}`);
  const form = page.locator('[data-testid="snapshot-form"]');
  await form.locator('select[name="method"]').selectOption(method);
  await form.locator('button[type="submit"]').click();
  await page.waitForSelector('[data-testid="snapshot-queued"]');
  await expect.poll(() => db.snapshotJob.count({ where: { datasetId } })).toBe(before + 1);
  const row = await db.snapshotJob.findFirstOrThrow({ where: { datasetId }, orderBy: { createdAt: "desc" } });
  return row.id;
}

it("the jobs page shows a queued snapshot and a failed run, with retry, and keeps polling", async () => {
  // A run that fails: launched from the form on the dataset without votes.
  await page.goto("/admin/runs");
  const form = page.locator('[data-testid="run-form"]');
  await form.locator('input[name="name"]').fill("e2e doomed run");
  await form.locator('select[name="datasetId"]').selectOption(emptyDatasetId);
  await form.locator('input[name="epochs"]').fill("3");
  await Promise.all([
    page.waitForURL(/\/admin\/runs\/[a-z0-9]+$/),
    form.locator('button[type="submit"]').click(),
  ]);
  failedRunId = page.url().split("/").pop()!;
  await expect
    .poll(() => page.locator('[data-testid="run-live"]').getAttribute("data-status"), { timeout: 60_000 })
    .toBe("FAILED");

  // A snapshot request that no worker takes yet: a QUEUED row on the snapshots page, and the page polls.
  const ds = await synthetic();
  const snapJobId = await requestSnapshot(ds.id, "ds");
  const request = page.locator('[data-testid="snapshot-request"]').first();
  expect(await request.getAttribute("data-status")).toBe("QUEUED");
  expect(await page.getAttribute('[data-testid="live-poller"]', "data-state")).toBe("polling");

  await page.goto("/admin/jobs");
  await page.evaluate(() => {
    (window as unknown as { __noReload: number }).__noReload = 1;
  });
  const snapRow = page.locator(`[data-testid="job-row"][data-id="${snapJobId}"]`);
  const runRow = page.locator(`[data-testid="job-row"][data-id="${failedRunId}"]`);
  expect(await snapRow.getAttribute("data-status")).toBe("QUEUED");
  expect(await snapRow.textContent()).toContain("waiting for a worker (queue: labels)");
  expect(await runRow.getAttribute("data-status")).toBe("FAILED");
  expect(await runRow.locator('[data-testid="job-error"]').textContent()).toMatch(
    /has no votes or imported tallies to aggregate/,
  );
  expect(await runRow.getByRole("button", { name: "Retry" }).count()).toBe(1);
  expect(await snapRow.getByRole("button", { name: "Retry" }).count()).toBe(0);
  const poller = page.locator('[data-testid="live-poller"]');
  expect(await poller.getAttribute("data-state")).toBe("polling");
  expect(await poller.textContent()).toMatch(
    /Updating every 3 s while work is queued or running · last update/,
  );
  expect(await page.textContent('[data-testid="queue-counts"]')).toMatch(/labels 1 waiting, 0 active/);
  await page.mouse.move(0, 0);
  await screenshot(page, "after-jobs-queued-and-failed");

  // The Failed tab lists the failed run and not the queued snapshot.
  const failedTab = await (await newContext(browser)).newPage();
  await login(failedTab, "admin");
  await failedTab.goto("/admin/jobs?status=FAILED");
  expect(await failedTab.locator(`[data-testid="job-row"][data-id="${failedRunId}"]`).count()).toBe(1);
  expect(await failedTab.locator(`[data-testid="job-row"][data-id="${snapJobId}"]`).count()).toBe(0);

  // A worker for the labels queue: the same page (no reload) shows the snapshot done.
  await startQueueWorker("labels");
  await expect
    .poll(() => snapRow.getAttribute("data-status"), { timeout: 90_000, interval: 500 })
    .toBe("SUCCEEDED");
  expect(await page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload)).toBe(1);
  expect(await snapRow.locator("a").getAttribute("href")).toMatch(/^\/admin\/snapshots\/[a-z0-9]+$/);

  // Retry the failed run from the jobs page: a new run with the same config, which fails the same way.
  const runsBefore = await db.trainingRun.count();
  await runRow.getByRole("button", { name: "Retry" }).click();
  await expect.poll(() => db.trainingRun.count()).toBe(runsBefore + 1);
  const retry = await db.trainingRun.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
  expect(retry.name).toBe("e2e doomed run (retry)");
  await expect
    .poll(() => page.locator(`[data-testid="job-row"][data-id="${retry.id}"]`).getAttribute("data-status"), {
      timeout: 60_000,
    })
    .toBe("FAILED");
  await page.mouse.move(0, 0);
  await screenshot(page, "after-jobs-done");
}, 300_000);

it("excluding an annotator changes the next snapshot, and the snapshot says whom it left out", async () => {
  const ds = await synthetic();
  const spammer = await db.user.findFirstOrThrow({ where: { email: "spammer1@synthetic.import" } });
  const first = await db.snapshotJob.findFirstOrThrow({
    where: { datasetId: ds.id, method: "ds", status: "SUCCEEDED" },
    orderBy: { createdAt: "desc" },
    include: { snapshot: true },
  });
  const firstStats = first.snapshot!.stats as { numVotes: number; numWorkers: number };

  await page.goto("/admin/users");
  const row = page.locator('[data-testid="user-row"]', { hasText: "spammer1@synthetic.import" });
  // The simulated spammer answers uniformly at random: flagged from the ds snapshot and from agreement.
  await expect.poll(() => row.locator('[data-testid="quality-flag"]').count()).toBeGreaterThan(0);
  expect(await row.locator('[data-flag="low-skill"]').count()).toBe(1);
  for (const reliable of ["reliable1@synthetic.import", "reliable2@synthetic.import"])
    expect(
      await page
        .locator('[data-testid="user-row"]', { hasText: reliable })
        .locator('[data-testid="quality-flag"]')
        .count(),
    ).toBe(0);
  await Promise.all([
    page.waitForURL(`**/admin/users/${spammer.id}`),
    row.getByRole("link", { name: "spammer1" }).click(),
  ]);
  expect(await page.textContent('[data-testid="flag-list"]')).toMatch(
    /Synthetic faces.*expected accuracy \d+%, chance is 10%/,
  );
  // Vote counts beside the Dawid-Skene probabilities.
  const heatmap = page.locator('[data-testid="annotator-confusion-heatmap"]').first();
  const rowVotes = await heatmap.locator('[data-testid="row-votes"]').allTextContents();
  expect(rowVotes.length).toBe(10);
  const counted = rowVotes.reduce((n, t) => n + Number(t.replace("n=", "")), 0);
  expect(counted).toBeGreaterThan(0);

  const panel = page.locator('[data-testid="exclusion-panel"]');
  await panel.locator('input[name="reason"]').fill("answers at random (e2e)");
  await panel.getByRole("button", { name: "Exclude from snapshots" }).click();
  await expect.poll(() => panel.getAttribute("data-excluded")).toBe("true");
  expect(await page.textContent('[data-testid="exclusion-history"]')).toContain("answers at random (e2e)");
  const admin = await db.user.findUniqueOrThrow({ where: { email: "admin@concord.local" } });
  expect(await page.textContent('[data-testid="exclusion-history"]')).toContain(admin.name);
  await page.mouse.move(0, 0);
  await screenshot(page, "after-annotator");

  // The next snapshot with the same method and parameters is a new one, without the spammer's votes.
  const secondId = await requestSnapshot(ds.id, "ds");
  await expect
    .poll(async () => (await db.snapshotJob.findUniqueOrThrow({ where: { id: secondId } })).status, {
      timeout: 90_000,
    })
    .toBe("SUCCEEDED");
  const second = await db.snapshotJob.findUniqueOrThrow({
    where: { id: secondId },
    include: { snapshot: true },
  });
  expect(second.reused).toBe(false);
  expect(second.snapshotId).not.toBe(first.snapshotId);
  const stats = second.snapshot!.stats as {
    numVotes: number;
    numWorkers: number;
    workerSkill: Record<string, number>;
    excludedAnnotators: { annotatorId: string; votes: number }[];
  };
  const spammerVotes = await db.vote.count({
    where: { annotatorId: spammer.id, image: { datasetId: ds.id } },
  });
  expect(spammerVotes).toBeGreaterThan(0);
  expect(stats.excludedAnnotators).toMatchObject([{ annotatorId: spammer.id, votes: spammerVotes }]);
  expect(stats.numVotes).toBe(firstStats.numVotes - spammerVotes);
  expect(stats.numWorkers).toBe(firstStats.numWorkers - 1);
  expect(stats.workerSkill[spammer.id]).toBeUndefined();
  await page.goto(`/admin/snapshots/${second.snapshotId}`);
  expect(await page.textContent('[data-testid="snapshot-excluded"]')).toContain(
    `spammer1 · ${spammerVotes.toLocaleString("en")} votes left out`,
  );
  expect(await page.textContent('[data-testid="stat-iterations"]')).toMatch(
    /EM iterations\d+(converged|stopped)/,
  );

  // Including them again: the record stays, and the next identical request reuses the first snapshot.
  await page.goto(`/admin/users/${spammer.id}`);
  await page.getByRole("button", { name: "Include again" }).click();
  await expect.poll(() => panel.getAttribute("data-excluded")).toBe("false");
  const history = await db.annotatorExclusion.findMany({ where: { annotatorId: spammer.id } });
  expect(history).toHaveLength(1);
  expect(history[0]!.revokedAt).not.toBeNull();
  const thirdId = await requestSnapshot(ds.id, "ds");
  await expect
    .poll(async () => (await db.snapshotJob.findUniqueOrThrow({ where: { id: thirdId } })).status, {
      timeout: 90_000,
    })
    .toBe("SUCCEEDED");
  expect(await db.snapshotJob.findUniqueOrThrow({ where: { id: thirdId } })).toMatchObject({
    reused: true,
    snapshotId: first.snapshotId,
  });
}, 300_000);

it("a closed-form snapshot says so instead of 'EM iterations 0 · converged'", async () => {
  const ds = await synthetic();
  const id = await requestSnapshot(ds.id, "mv");
  await expect
    .poll(async () => (await db.snapshotJob.findUniqueOrThrow({ where: { id } })).status, { timeout: 90_000 })
    .toBe("SUCCEEDED");
  const { snapshotId } = await db.snapshotJob.findUniqueOrThrow({ where: { id } });
  await page.goto(`/admin/snapshots/${snapshotId}`);
  const card = await page.textContent('[data-testid="stat-iterations"]');
  expect(card).toContain("closed form: no EM");
  expect(card).not.toContain("converged");
}, 120_000);

it("the run records its code version, and compare shows every config field that differs", async () => {
  const { session } = await signIn("admin");
  const report = (await (await session!.fetch(`/api/exports/runs/${failedRunId}`)).json()) as {
    run: { codeVersion: string | null };
  };
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
  expect(report.run.codeVersion).toMatch(new RegExp(`^${head}(\\+dirty)?$`));

  const res = await session!.fetch("/api/runs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ datasetId: emptyDatasetId, name: "e2e capped", epochs: 3, maxTrainImages: 600 }),
  });
  expect(res.status).toBe(201);
  const capped = ((await res.json()) as { id: string }).id;
  await page.goto(`/research/compare?ids=${failedRunId},${capped}`);
  const row = page.locator('[data-testid="config-row"][data-key="maxTrainImages"]');
  expect(await row.getAttribute("data-differs")).toBe("true");
  expect((await row.locator("td").allTextContents()).map((t) => t.trim())).toEqual(["all", "600"]);
  for (const key of ["model", "scheme", "eps", "epochs", "patience", "learningRate", "batchSize", "seed"])
    expect(await page.locator(`[data-testid="config-row"][data-key="${key}"]`).count()).toBe(1);
  await page.goto(`/research/compare?ids=${failedRunId},${capped}&diff=1`);
  const shown = await page
    .locator('[data-testid="config-row"]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")));
  expect(shown).toContain("maxTrainImages");
  expect(shown).not.toContain("model");
  await expect
    .poll(async () => (await db.trainingRun.findUniqueOrThrow({ where: { id: capped } })).status, {
      timeout: 60_000,
    })
    .toBe("FAILED");
}, 120_000);

it("serves a favicon on every page (no 404 in the page's requests)", async () => {
  const statuses: { url: string; status: number }[] = [];
  const p = await (await newContext(browser)).newPage();
  p.on("response", (r) => statuses.push({ url: r.url(), status: r.status() }));
  await login(p, "admin");
  await p.goto("/admin/jobs");
  await p.waitForLoadState("networkidle");
  const icon = await p.request.get("/favicon.ico");
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toMatch(/image\/(x-icon|vnd\.microsoft\.icon)/);
  expect(await p.locator('link[rel="icon"]').count()).toBeGreaterThan(0);
  expect(statuses.filter((s) => s.status === 404)).toEqual([]);
});

it("Bull Board loads nothing from the internet", async () => {
  const context = await browser.newContext({ httpCredentials: { username: "admin", password: BOARD_TOKEN } });
  const p = await context.newPage();
  const hosts = new Set<string>();
  p.on("request", (r) => hosts.add(new URL(r.url()).host));
  const res = await p.goto(`http://127.0.0.1:${boardPort}/admin/queues`);
  expect(res?.status()).toBe(200);
  await p.waitForLoadState("networkidle");
  expect([...hosts]).toEqual([`127.0.0.1:${boardPort}`]);
  await context.close();
});

it("an upload of a non-image named fake.png ends in an error, not a green 'finished'", async () => {
  await page.goto("/admin/datasets");
  const upload = page.locator("form", { hasText: "Upload and import" });
  await upload.locator('input[name="datasetSlug"]').fill(`e2e-fake-${Date.now()}`);
  await upload.locator('input[name="images"]').setInputFiles({
    name: "fake.png",
    mimeType: "image/png",
    buffer: Buffer.from("this is not a PNG, just text with a .png name\n"),
  });
  await upload.getByRole("button", { name: "Upload and import" }).click();
  const report = page.locator('[data-testid="import-report"]');
  await report.waitFor();
  expect(await report.getAttribute("data-outcome")).toBe("failed");
  expect(await report.getAttribute("role")).toBe("alert");
  expect(await report.textContent()).toMatch(
    /^Import failed: no file was added\..*0 added, 0 already there, 1 rejected/,
  );
  await screenshot(page, "after-upload-fake-png");
});

it("create user: a new attempt clears the old 409 message", async () => {
  await page.goto("/admin/users");
  const form = page.locator('form[aria-label="Create user"]');
  await form.locator('input[name="name"]').fill("Dup");
  await form.locator('input[name="email"]').fill("annotator1@concord.local");
  await form.locator('input[name="password"]').fill("long enough password");
  await form.locator('button[type="submit"]').click();
  const status = form.locator('[role="status"]');
  await expect.poll(() => status.textContent()).toContain("already exists");
  // Editing the form makes the answer stale: it goes.
  await form.locator('input[name="email"]').fill("someone-new@example.org");
  expect(await status.count()).toBe(0);
  // Back to the taken address, then a submit the browser refuses (password emptied without an input event,
  // so only the refusal itself can clear the message): no stale 409 beside the browser's complaint.
  await form.locator('input[name="email"]').fill("annotator1@concord.local");
  await form.locator('button[type="submit"]').click();
  await expect.poll(() => status.textContent()).toContain("already exists");
  await form.locator('input[name="password"]').evaluate((el) => {
    (el as HTMLInputElement).value = "";
  });
  await form.locator('button[type="submit"]').click();
  expect(
    await form.locator('input[name="password"]').evaluate((el) => (el as HTMLInputElement).validity.valid),
  ).toBe(false);
  expect(await status.count()).toBe(0);
});

it("a role change asks for confirmation (also to admin) and the header counts read '1 researcher'", async () => {
  const email = `role-${Date.now()}@example.org`;
  const user = await db.user.create({
    data: { email, name: "Role Target", passwordHash: "x", role: "ANNOTATOR" },
  });
  await page.goto("/admin/users");
  const row = page.locator('[data-testid="user-row"]', { hasText: email });
  await row.locator('select[aria-label="Role"]').selectOption("ADMIN");
  const confirm = row.locator('[data-testid="role-confirm"]');
  await confirm.waitFor();
  expect(await confirm.textContent()).toContain("Make Role Target an admin (was annotator)?");
  // Nothing is saved by choosing.
  await page.waitForTimeout(500);
  expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe("ANNOTATOR");
  await confirm.getByRole("button", { name: "Cancel" }).click();
  expect(await confirm.count()).toBe(0);
  expect(await row.locator('select[aria-label="Role"]').inputValue()).toBe("ANNOTATOR");
  expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe("ANNOTATOR");
  await row.locator('select[aria-label="Role"]').selectOption("ADMIN");
  await screenshot(page, "after-role-confirm");
  await confirm.getByRole("button", { name: "Make admin" }).click();
  await expect
    .poll(async () => (await db.user.findUniqueOrThrow({ where: { id: user.id } })).role)
    .toBe("ADMIN");

  const counts = await db.user.groupBy({ by: ["role"], _count: { _all: true } });
  const n = (role: string) => counts.find((c) => c.role === role)?._count._all ?? 0;
  await page.reload();
  const summary = (await page.locator("main header p").first().textContent()) ?? "";
  expect(summary).toMatch(/accounts? · /);
  const word = (k: number, s: string) => `${k} ${k === 1 ? s : `${s}s`}`;
  expect(summary).toContain(word(n("RESEARCHER"), "researcher"));
  expect(summary).toContain(word(n("ADMIN"), "admin"));
  expect(summary).not.toMatch(/\b1 (researchers|admins|annotators)\b/);
  await db.user.delete({ where: { id: user.id } });
});
