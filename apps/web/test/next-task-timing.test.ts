// Opt-in timing of next-task assignment and voting on the demo data (FER+ 32k faces + synthetic), because
// seeding it takes a minute: CONCORD_TIMING=1 npx vitest run test/next-task-timing.test.ts
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { createTestDatabase } from "@concord/db/testing";
import { describe, expect, it } from "vitest";

const ferplus = resolve(
  process.env.CONCORD_SHARED ?? resolve(import.meta.dirname, "../../../../shared"),
  "datasets/ferplus",
);
const isEnabled = process.env.CONCORD_TIMING === "1" && existsSync(ferplus);
if (!isEnabled)
  console.log("next-task timing skipped: set CONCORD_TIMING=1 (needs ../shared/datasets/ferplus)");

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

describe.skipIf(!isEnabled)("next-task timing on the demo data", () => {
  it("findNextTask + castVote, 40 rounds on FER+", async () => {
    const t = await createTestDatabase("concord_web_timing");
    try {
      const specifier = "@concord/importer/demo";
      const { seedDemo } = (await import(specifier)) as {
        seedDemo: (db: unknown, o: unknown) => Promise<unknown>;
      };
      await seedDemo(t.db, { ferplusPath: ferplus, seed: 7 });
      process.env.DATABASE_URL = t.url;
      const { findNextTask } = await import("../src/server/tasks/assign");
      const { castVote } = await import("../src/server/tasks/votes");
      const u = await t.db.user.findFirstOrThrow({ where: { email: "annotator1@concord.local" } });
      const next: number[] = [];
      const vote: number[] = [];
      for (let i = 0; i < 40; i++) {
        const t0 = performance.now();
        const task = await findNextTask(u.id);
        next.push(performance.now() - t0);
        if (!task) throw new Error("no task");
        const t1 = performance.now();
        await castVote(u.id, {
          imageId: task.imageId,
          label: "neutral",
          requestId: `timing-${i}-${Date.now()}`,
        });
        vote.push(performance.now() - t1);
      }
      const fmt = (xs: number[]) => `p50 ${pct(xs, 0.5).toFixed(0)} ms, p95 ${pct(xs, 0.95).toFixed(0)} ms`;
      console.log(`findNextTask on FER+ (32k faces): ${fmt(next)}; castVote: ${fmt(vote)}`);
      expect(pct(next, 0.5)).toBeLessThan(250);
    } finally {
      const { getDb } = await import("@concord/db");
      await getDb().$disconnect();
      await t.drop();
    }
  }, 600_000);
});
