// Check answers in the browser (issue 13): feedback shows the check face it belongs to and fades; no pause
// before the dataset's minimum; Resume starts a probation window, so old answers do not pause again; the
// qualification round (guidelines first, answers that are not votes, a failed round, retry, pass).
// Each scenario uses its own dataset and annotator (src/checks.ts), removed afterwards.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, login, newContext, screenshot } from "../src/browser";
import { keyOf, makeAnnotator, makeChecksDataset, type TChecksDataset, wrongKeyFor } from "../src/checks";
import { e2eDb } from "../src/db";

const db = e2eDb();
let browser: Browser;
const datasets: string[] = [];
const annotators: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await db.dataset.deleteMany({ where: { id: { in: datasets } } });
  await db.user.deleteMany({ where: { id: { in: annotators } } });
  await db.$disconnect();
});

async function dataset(opts: Parameters<typeof makeChecksDataset>[1]) {
  const ds = await makeChecksDataset(db, opts);
  datasets.push(ds.id);
  return ds;
}
async function annotator(name: string) {
  const a = await makeAnnotator(db, name);
  annotators.push(a.id);
  return a;
}
async function pageAs(who: { email: string } | "admin"): Promise<Page> {
  const page = await (await newContext(browser)).newPage();
  await login(page, who);
  return page;
}

const faceOf = async (page: Page) => ({
  id: (await page.getAttribute('[data-testid="face"]', "data-image-id"))!,
  src: (await page.getAttribute('[data-testid="face"]', "src"))!,
});
const labelOf = (ds: TChecksDataset, imageId: string) => ds.gold.find((g) => g.id === imageId)?.label;

// Opens the dataset past its guidelines (asserting they came first), with the first face up.
async function startLabelling(page: Page, ds: TChecksDataset) {
  await page.goto(`/label?dataset=${ds.slug}`);
  await page.waitForSelector('[data-testid="guidelines-gate"]');
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get("start") === "1"),
    page.click('[data-testid="start-labelling"] >> nth=0'),
  ]);
  await page.waitForSelector('[data-testid="face"]');
}

// Answers the face on screen with `key` and waits for the feedback on that face.
async function answerCheck(page: Page, key: string) {
  const face = await faceOf(page);
  await page.keyboard.press(key);
  await page.waitForSelector(`[data-testid="check-feedback"][data-image-id="${face.id}"]`, {
    timeout: 10_000,
  });
  return face;
}

describe("check feedback", () => {
  it("shows the check face it belongs to, the answer and the expected one, then fades", async () => {
    const ds = await dataset({
      name: "Checks: feedback",
      gold: 6,
      plain: 6,
      settings: { goldRate: 1, guideExamples: 0 },
    });
    const a = await annotator("Fay Feedback");
    const page = await pageAs(a);
    await startLabelling(page, ds);

    const face = await faceOf(page);
    const expected = labelOf(ds, face.id);
    expect(expected).toBeDefined(); // goldRate 1: the first faces are checks
    await page.keyboard.press(wrongKeyFor(expected!));
    const panel = await page.waitForSelector('[data-testid="check-feedback"]', { timeout: 10_000 });
    // The panel is about the face just answered, not the one now on screen.
    expect(await panel.getAttribute("data-image-id")).toBe(face.id);
    expect(await page.getAttribute('[data-testid="check-face"]', "data-image-id")).toBe(face.id);
    expect(await page.getAttribute('[data-testid="check-face"]', "src")).toBe(face.src);
    expect((await faceOf(page)).id).not.toBe(face.id);
    expect(await page.textContent('[data-testid="check-expected"]')).toBe(
      expected === "not-a-face" ? "Not a face" : expected!.charAt(0).toUpperCase() + expected!.slice(1),
    );
    expect(await page.getAttribute('[data-testid="check-feedback"]', "data-correct")).toBe("false");
    // One wrong answer of one: below 60% but far from a pause; the warning says so.
    await page.waitForSelector('[data-testid="check-warning"]');
    expect(await page.textContent('[data-testid="check-warning"]')).toMatch(
      /Nothing pauses you before 9 more/,
    );
    await screenshot(page, "after-label-feedback");

    // Gone after a few seconds without any key press.
    const t0 = Date.now();
    await page.waitForSelector('[data-testid="check-feedback"]', { state: "detached", timeout: 8_000 });
    console.log(`e2e: check feedback left the screen ${Date.now() - t0} ms after it was first seen`);
    await page.context().close();
  });
});

describe("fair pausing", () => {
  let ds: TChecksDataset;
  let a: { id: string; email: string };

  it("no pause before the minimum: nine wrong check answers warn, the tenth pauses", async () => {
    ds = await dataset({
      name: "Checks: pausing",
      gold: 16,
      plain: 4,
      settings: { goldRate: 1, guideExamples: 0 },
    });
    a = await annotator("Pat Paused");
    const page = await pageAs(a);
    await startLabelling(page, ds);
    for (let i = 0; i < 9; i++) {
      const face = await faceOf(page);
      await answerCheck(page, wrongKeyFor(labelOf(ds, face.id)!));
    }
    expect(await page.$('[data-testid="paused"]')).toBeNull();
    expect((await db.user.findUniqueOrThrow({ where: { id: a.id } })).pausedAt).toBeNull();
    await expect
      .poll(() => page.textContent('[data-testid="check-warning"]'))
      .toMatch(/0 of your last 9 right \(0%\).*Nothing pauses you before 1 more check answer\./);
    await screenshot(page, "after-label-warning");

    const face = await faceOf(page);
    await page.keyboard.press(wrongKeyFor(labelOf(ds, face.id)!));
    await page.waitForSelector('[data-testid="paused"]', { timeout: 10_000 });
    expect(await page.textContent('[data-testid="paused"]')).toMatch(/Your last 10 check answers.*0 right/);
    expect((await db.user.findUniqueOrThrow({ where: { id: a.id } })).pausedAt).not.toBeNull();
    await screenshot(page, "after-label-paused");
    await page.context().close();
  });

  it("a resumed annotator is not paused again by the answers from before the resume", async () => {
    const admin = await pageAs("admin");
    await admin.goto(`/admin/users/${a.id}/checks`);
    await admin.waitForSelector('[data-testid="checks-paused"]');
    await screenshot(admin, "after-admin-user-checks");
    await admin.click('[data-testid="checks-paused"] button:has-text("Resume")');
    await expect
      .poll(async () => (await db.user.findUniqueOrThrow({ where: { id: a.id } })).resumedAt, {
        timeout: 10_000,
      })
      .not.toBeNull();
    expect((await db.user.findUniqueOrThrow({ where: { id: a.id } })).pausedAt).toBeNull();
    await admin.context().close();

    const page = await pageAs(a);
    await page.goto(`/label?dataset=${ds.slug}`);
    await page.waitForSelector('[data-testid="face"]'); // begun already: no guidelines gate
    // Before: "1 of 6" paused again at once. Now the one answer since the resume is far from the minimum.
    const face = await faceOf(page);
    await answerCheck(page, wrongKeyFor(labelOf(ds, face.id)!));
    await page.waitForTimeout(500);
    expect(await page.$('[data-testid="paused"]')).toBeNull();
    expect((await db.user.findUniqueOrThrow({ where: { id: a.id } })).pausedAt).toBeNull();
    expect(await page.textContent('[data-testid="check-warning"]')).toMatch(
      /0 of your last 1 right.*Nothing pauses you before 9 more/,
    );

    await page.goto("/label/checks");
    const standing = await page.waitForSelector(`[data-testid="check-standing"][data-dataset-id="${ds.id}"]`);
    expect(await standing.textContent()).toMatch(/0 right of the last 1 \(0%\) · since the resume/);
    expect(await standing.textContent()).toMatch(/9 more check answers before a pause is possible/);
    expect(await page.$$('[data-testid="check-row"]')).toHaveLength(11);
    expect(await page.$$('[data-testid="check-row"][data-counts="true"]')).toHaveLength(1);
    await screenshot(page, "after-my-checks");
    await page.context().close();
  });
});

describe("qualification round", () => {
  it("guidelines first; round answers are not votes; a failed round can be retried; passing lets votes count", async () => {
    const ds = await dataset({
      name: "Checks: qualification",
      gold: 20,
      plain: 4,
      settings: { goldRate: 0 },
    });
    // The admin turns the round on in the dataset's settings form.
    const admin = await pageAs("admin");
    await admin.goto(`/admin/datasets/${ds.id}`);
    const form = await admin.waitForSelector('[data-testid="check-settings"]');
    await admin.fill('input[name="guideExamples"]', "1");
    await admin.fill('input[name="qualificationSize"]', "3");
    await admin.fill('input[name="qualificationPassMark"]', "66");
    await admin.fill('input[name="qualificationAttempts"]', "2");
    await admin.fill(
      'textarea[name="guidelines"]',
      "Label the expression, not the person: age and lighting do not matter.",
    );
    await form.$eval('button[type="submit"]', (b) => (b as HTMLButtonElement).click());
    await admin.waitForSelector('[data-testid="check-settings-saved"]');
    expect(await db.dataset.findUniqueOrThrow({ where: { id: ds.id } })).toMatchObject({
      guideExamples: 1,
      qualificationSize: 3,
      qualificationPassMark: 0.66,
      qualificationAttempts: 2,
    });
    await screenshot(admin, "after-admin-dataset-checks");
    await admin.context().close();

    const a = await annotator("Quinn Qualifier");
    const page = await pageAs(a);
    await page.goto(`/label?dataset=${ds.slug}`);
    await page.waitForSelector('[data-testid="guidelines-gate"]');
    expect(await page.textContent('[data-testid="guidelines-qualification"]')).toMatch(/first 3 faces/);
    const examples = await page.$$eval('[data-testid="guide-example"]', (els) =>
      els.map((e) => e.getAttribute("data-image-id")!),
    );
    const goldIds = new Set(ds.gold.map((g) => g.id));
    expect(examples.length).toBe(new Set(ds.gold.map((g) => g.label)).size); // one per label with gold
    expect(examples.every((id) => goldIds.has(id))).toBe(true);
    await screenshot(page, "after-guidelines");
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get("start") === "1"),
      page.click('[data-testid="start-labelling"] >> nth=0'),
    ]);

    const served: string[] = [];
    const round = async (right: boolean) => {
      for (let i = 1; i <= 3; i++) {
        await expect
          .poll(() => page.textContent('[data-testid="qualification-banner"]'))
          .toMatch(`face ${i} of 3`);
        const face = await faceOf(page);
        served.push(face.id);
        const label = labelOf(ds, face.id)!;
        await answerCheck(page, right ? keyOf(label) : wrongKeyFor(label));
      }
    };
    await round(false);
    const failed = await page.waitForSelector('[data-testid="qualification-failed"]');
    expect(await failed.textContent()).toMatch(/0 of 3 right; 66% \(2 of 3\) needed/);
    expect(await failed.textContent()).toMatch(/Try again \(1 attempt left\)/);
    await screenshot(page, "after-qualification-failed");
    expect(await db.vote.count({ where: { annotatorId: a.id } })).toBe(0);
    expect(await db.qualificationAnswer.count({ where: { attempt: { userId: a.id } } })).toBe(3);
    expect((await db.imageTally.findMany({ where: { datasetId: ds.id } })).every((x) => x.votes === 0)).toBe(
      true,
    );

    await page.click('[data-testid="retry-round"]');
    await page.waitForSelector('[data-testid="face"]');
    await round(true);
    await page.waitForSelector('[data-testid="qualification-passed"]');
    expect(served.some((id) => examples.includes(id))).toBe(false);
    expect(served.every((id) => goldIds.has(id))).toBe(true);

    // Qualified: a real face, and its vote is a vote.
    await expect.poll(async () => ds.plain.includes((await faceOf(page)).id), { timeout: 10_000 }).toBe(true);
    expect(await page.$('[data-testid="qualification-banner"]')).toBeNull();
    await page.keyboard.press("2");
    await expect.poll(() => db.vote.count({ where: { annotatorId: a.id } }), { timeout: 10_000 }).toBe(1);
    const attempts = await db.qualificationAttempt.findMany({
      where: { userId: a.id },
      orderBy: { startedAt: "asc" },
    });
    expect(attempts.map((t) => [t.correct, t.passed])).toEqual([
      [0, false],
      [3, true],
    ]);
    await page.context().close();
  });
});
