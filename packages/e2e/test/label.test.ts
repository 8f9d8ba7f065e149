// An annotator labels 20 faces by keyboard only in the browser; the votes land in Postgres; the vote API
// answers bad input with clear 4xx and is idempotent by requestId.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNTS } from "../src/accounts";
import { launchBrowser, login, newContext, screenshot } from "../src/browser";
import { e2eDb } from "../src/db";
import { signIn, type TSession } from "../src/http";

const db = e2eDb();
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await (await newContext(browser)).newPage();
});
afterAll(async () => {
  await browser?.close();
  await db.$disconnect();
});

const faceId = (p: Page) => p.getAttribute('[data-testid="face"]', "data-image-id");

async function userId(email: string) {
  return (await db.user.findUniqueOrThrow({ where: { email }, select: { id: true } })).id;
}

describe("keyboard labelling", () => {
  it("labels 20 faces by keyboard only at >= 20 faces/minute", async () => {
    await login(page, "annotator1");
    expect(new URL(page.url()).pathname).toBe("/label");
    const annotatorId = await userId(ACCOUNTS.annotator1.email);
    const hasBegun =
      (await db.vote.count({ where: { annotatorId } })) +
        (await db.qualificationAttempt.count({ where: { userId: annotatorId } })) >
      0;
    if (!hasBegun) {
      // The guidelines come before the first face (an earlier file may have voted as annotator1 already).
      await page.waitForSelector('[data-testid="guidelines-gate"]');
      await screenshot(page, "label-guidelines-gate");
      await Promise.all([
        page.waitForURL((u) => u.searchParams.get("start") === "1"),
        page.click('[data-testid="start-labelling"] >> nth=0'),
      ]);
    }
    await page.waitForSelector('[data-testid="face"]');
    await screenshot(page, "label");
    const before = await db.vote.count({ where: { annotatorId } });

    const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "u", "n"];
    const seen = new Set<string>();
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      const id = await faceId(page);
      expect(id).toBeTruthy();
      expect(seen.has(id!)).toBe(false); // never the same face twice
      seen.add(id!);
      await page.keyboard.press(keys[(i * 7) % keys.length]!);
      await page.waitForFunction(
        (prev) => {
          const el = document.querySelector('[data-testid="face"], [data-testid="no-tasks"]');
          return el !== null && el.getAttribute("data-image-id") !== prev;
        },
        id,
        { timeout: 10_000 },
      );
    }
    const minutes = (performance.now() - t0) / 60_000;
    const perMinute = 20 / minutes;
    console.log(
      `e2e: labelled 20 faces by keyboard in ${(minutes * 60).toFixed(2)} s = ${perMinute.toFixed(1)} faces/minute`,
    );
    expect(perMinute).toBeGreaterThanOrEqual(20);

    // Every key press became exactly one vote (the queue drains in order).
    await expect.poll(() => db.vote.count({ where: { annotatorId } }), { timeout: 10_000 }).toBe(before + 20);
    const votes = await db.vote.findMany({ where: { annotatorId }, select: { imageId: true } });
    expect(new Set(votes.map((v) => v.imageId)).size).toBe(votes.length);
    await expect.poll(() => page.textContent('[data-testid="progress-total"]')).toBe(String(before + 20));
    await screenshot(page, "label-after-20");
  });

  it("Z undoes the last vote and shows its face again (check questions excepted)", async () => {
    const annotatorId = await userId(ACCOUNTS.annotator1.email);
    const last = await db.vote.findFirstOrThrow({ where: { annotatorId }, orderBy: { createdAt: "desc" } });
    const count = await db.vote.count({ where: { annotatorId } });
    await page.keyboard.press("z");
    if (last.isGold) {
      await expect.poll(() => page.textContent('[data-testid="toast"]')).toMatch(/cannot be undone/);
      expect(await db.vote.count({ where: { annotatorId } })).toBe(count);
      return;
    }
    await expect.poll(() => faceId(page)).toBe(last.imageId);
    expect(await db.vote.count({ where: { annotatorId } })).toBe(count - 1);
    // S skips it without voting.
    await page.keyboard.press("s");
    await expect.poll(() => faceId(page)).not.toBe(last.imageId);
    expect(await db.vote.count({ where: { annotatorId } })).toBe(count - 1);
  });
});

describe("datasets and gold", () => {
  it("a chosen dataset serves its own faces; a check question answers with feedback", async () => {
    const withGold = await db.dataset.findFirstOrThrow({
      where: { images: { some: { gold: { isNot: null } } } },
      select: { id: true, slug: true },
    });
    await page.goto(`/label?dataset=${withGold.slug}&start=1`);
    await page.waitForSelector('[data-testid="face"]');
    const shown = await faceId(page);
    const image = await db.image.findUniqueOrThrow({ where: { id: shown! }, select: { datasetId: true } });
    expect(image.datasetId).toBe(withGold.id);
    await screenshot(page, "label-dataset");

    const annotatorId = await userId(ACCOUNTS.annotator1.email);
    const gold = await db.goldLabel.findFirstOrThrow({
      where: { image: { datasetId: withGold.id, votes: { none: { annotatorId } } } },
    });
    const wrong = gold.label === "neutral" ? "happiness" : "neutral";
    const s = (await signIn("annotator1")).session!;
    const res = await s.fetch("/api/votes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ imageId: gold.imageId, label: wrong, requestId: `gold-${Date.now()}` }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { gold: { isCorrect: boolean; expected: string; answered: number } };
    expect(body.gold).toMatchObject({ isCorrect: false, expected: gold.label });
    expect(body.gold.answered).toBeGreaterThanOrEqual(1);
    const vote = await db.vote.findFirstOrThrow({ where: { imageId: gold.imageId, annotatorId } });
    expect(vote.isGold).toBe(true);
  });
});

describe("vote API", () => {
  let s: TSession;
  let imageId: string;
  const post = (body: unknown) =>
    s.fetch("/api/votes", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    const r = await signIn("annotator2");
    if (!r.session) throw new Error("annotator2 cannot sign in");
    s = r.session;
    const next = (await (await s.fetch("/api/tasks/next")).json()) as { task: { imageId: string } | null };
    if (!next.task) throw new Error("no task for annotator2");
    imageId = next.task.imageId;
  });

  it("400 on malformed JSON and wrong types, 404 unknown image, 400 unknown label — nothing written", async () => {
    const before = await db.vote.count();
    let res = await post("{not json");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "body: malformed JSON", details: { field: "body" } });
    res = await post({ imageId: 42, label: "happiness", requestId: "req-types-0001" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/imageId/);
    res = await post({ imageId: "no-such-image", label: "happiness", requestId: "req-unknown-0001" });
    expect(res.status).toBe(404);
    res = await post({ imageId, label: 'joy\'; DROP TABLE "Vote";--', requestId: "req-label-0001" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/not in this dataset's taxonomy/);
    expect(await db.vote.count()).toBe(before);
  });

  it("a retried request returns the same vote; a second vote on the image is 409", async () => {
    const body = { imageId, label: "surprise", requestId: `req-${Date.now()}-a`, durationMs: 900 };
    const first = await post(body);
    expect(first.status).toBe(201);
    const again = await post(body);
    expect(again.status).toBe(200);
    const a = (await first.json()) as { vote: { id: string } };
    const b = (await again.json()) as { vote: { id: string }; replayed: boolean };
    expect(b.vote.id).toBe(a.vote.id);
    expect(b.replayed).toBe(true);
    const dup = await post({ ...body, requestId: `req-${Date.now()}-b` });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toEqual({ error: "You already voted on this image" });
    const annotatorId = await userId(ACCOUNTS.annotator2.email);
    expect(await db.vote.count({ where: { imageId, annotatorId } })).toBe(1);
  });

  it("the next task is never an image already voted on; undo removes only the caller's latest vote", async () => {
    for (let i = 0; i < 5; i++) {
      const next = (await (await s.fetch("/api/tasks/next")).json()) as { task: { imageId: string } | null };
      expect(next.task?.imageId).not.toBe(imageId);
    }
    const undo = await s.fetch("/api/votes/last", { method: "DELETE" });
    expect(undo.status).toBe(200);
    expect(((await undo.json()) as { undone: { imageId: string } }).undone.imageId).toBe(imageId);
    const annotatorId = await userId(ACCOUNTS.annotator2.email);
    expect(await db.vote.count({ where: { annotatorId } })).toBe(0);
    const again = await s.fetch("/api/votes/last", { method: "DELETE" });
    expect(again.status).toBe(404);
    // annotator1's votes are untouched.
    expect(
      await db.vote.count({ where: { annotator: { email: ACCOUNTS.annotator1.email } } }),
    ).toBeGreaterThan(0);
  });
});

describe("paused annotator", () => {
  it("sees why on /label and cannot vote or take tasks", async () => {
    const annotatorId = await userId(ACCOUNTS.annotator2.email);
    const reason = "Your accuracy on check questions is 20% (1 of 5), below the 60% this dataset requires.";
    await db.user.update({
      where: { id: annotatorId },
      data: { pausedAt: new Date(), pausedReason: reason },
    });
    try {
      const context = await newContext(browser);
      const p = await context.newPage();
      await login(p, "annotator2");
      expect(await p.textContent('[data-testid="paused"]')).toContain(reason);
      await screenshot(p, "label-paused");
      const r = await signIn("annotator2");
      const next = await r.session!.fetch("/api/tasks/next");
      expect(next.status).toBe(403);
      expect(await next.json()).toMatchObject({ details: { paused: true, reason } });
      const vote = await r.session!.fetch("/api/votes", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ imageId: "whatever", label: "neutral", requestId: "paused-req-0001" }),
      });
      expect(vote.status).toBe(403);
      await context.close();
    } finally {
      await db.user.update({ where: { id: annotatorId }, data: { pausedAt: null, pausedReason: null } });
    }
  });
});
