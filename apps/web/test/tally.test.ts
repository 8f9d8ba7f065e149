// The tally behind next-task assignment, through the web's own code paths: concurrent annotators taking tasks,
// voting and undoing leave "ImageTally" equal to COUNT(*) over "Vote", with "done" following the dataset's
// dynamic-overlap rule, and each annotator's progress (the answers' and "AnnotatorProgress") equal to COUNT(*) of
// their votes; and picking an image reads the open-images index, not the votes.
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDatabase;
let assign: typeof import("../src/server/tasks/assign");
let votes: typeof import("../src/server/tasks/votes");
let overlap: typeof import("../src/server/tasks/overlap");
let progress: typeof import("../src/server/tasks/progress");
let sql: typeof import("../src/server/sql");

const TAXONOMY = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"];

beforeAll(async () => {
  t = await createTestDatabase("concord_web_tally");
  process.env.DATABASE_URL = t.url;
  process.env.CONCORD_DB_POOL = "6";
  assign = await import("../src/server/tasks/assign");
  votes = await import("../src/server/tasks/votes");
  overlap = await import("../src/server/tasks/overlap");
  progress = await import("../src/server/tasks/progress");
  sql = await import("../src/server/sql");
});
afterAll(async () => {
  const { getDb } = await import("@concord/db");
  await getDb().$disconnect();
  await t.drop();
});

async function dataset(slug: string, images: number) {
  const ds = await t.db.dataset.create({
    data: {
      slug,
      name: slug,
      source: "SYNTHETIC",
      taxonomy: TAXONOMY,
      minVotes: 2,
      maxVotes: 5,
      goldRate: 0.1,
    },
  });
  await t.db.image.createMany({
    data: Array.from({ length: images }, (_, i) => ({
      datasetId: ds.id,
      split: "TRAIN" as const,
      externalId: `${slug}-${i}`,
      sha256: String(i).padStart(64, "0"),
      phash: String(i).padStart(16, "0"),
      pixels: new Uint8Array(48 * 48).fill(i % 250),
    })),
  });
  return ds;
}

describe("ImageTally under the web's assignment, votes and undo", () => {
  it("equals COUNT(*) after concurrent annotators vote and undo", async () => {
    const ds = await dataset("flow", 40);
    await t.db.goldLabel.create({
      data: {
        imageId: (await t.db.image.findFirstOrThrow({ where: { datasetId: ds.id } })).id,
        label: "fear",
      },
    });
    const users = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.db.user.create({ data: { email: `f${i}@t.local`, name: `f${i}`, passwordHash: "x" } }),
      ),
    );
    let seq = 0;
    let random = 12345;
    const next = () => {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      return random / 2 ** 31;
    };
    let cast = 0;
    const answered = new Map<string, { today: number; total: number }>(); // the latest progress each one was shown
    await Promise.all(
      users.map(async (u) => {
        for (let k = 0; k < 12; k++) {
          const task = await assign.findNextTask(u.id, { datasetId: ds.id, random: next });
          if (!task) break;
          // Few labels, so that some images stop early by the overlap rule.
          const label = next() < 0.7 ? "happiness" : TAXONOMY[Math.floor(next() * TAXONOMY.length)]!;
          const vote = await votes.castVote(u.id, {
            imageId: task.imageId,
            label,
            requestId: `tally-${seq++}-request`,
          });
          answered.set(u.id, vote.progress);
          cast++;
          if (next() < 0.2)
            await votes
              .undoLastVote(u.id)
              .then((undo) => answered.set(u.id, undo.progress))
              .catch(() => {}); // gold answers refuse undo
        }
      }),
    );
    expect(cast).toBeGreaterThan(100);
    const rule = overlap.overlapRule({
      classes: TAXONOMY.length,
      minVotes: 2,
      maxVotes: 5,
      targetConfidence: 0.99,
    });
    const rows = await t.db.$queryRawUnsafe<
      {
        id: string;
        n: number;
        sig: string;
        votes: number | null;
        done: boolean | null;
        gold: boolean | null;
      }[]
    >(
      `SELECT i.id, coalesce(sum(c.n), 0)::int AS n, coalesce(string_agg(c.n::text, ',' ORDER BY c.n DESC), '') AS sig,
              t.votes, t.done, t.gold
       FROM "Image" i
       LEFT JOIN (SELECT "imageId", label, count(*)::int AS n FROM "Vote" WHERE NOT "isGold" GROUP BY 1, 2) c
         ON c."imageId" = i.id
       LEFT JOIN "ImageTally" t ON t."imageId" = i.id
       WHERE i."datasetId" = $1
       GROUP BY i.id, t.votes, t.done, t.gold`,
      ds.id,
    );
    expect(rows.length).toBe(40);
    for (const r of rows) {
      expect(r.votes, r.id).toBe(r.n);
      expect(r.done, r.id).toBe(r.n >= 5 || rule.doneSignatures.includes(r.sig));
      expect(r.n).toBeLessThanOrEqual(5);
    }
    expect(rows.filter((r) => r.gold).length).toBe(1);
    expect(rows.some((r) => r.done && r.n < 5)).toBe(true); // stopped early by the rule, as the picker saw it
    for (const u of users) {
      const n = await t.db.vote.count({ where: { annotatorId: u.id } }); // all cast today
      expect(await progress.annotatorProgress(u.id), u.email).toEqual({ today: n, total: n });
      expect(answered.get(u.id), u.email).toEqual({ today: n, total: n });
    }
  });

  it("picks from the open-images index without reading the votes or the faces leased out to others", async () => {
    const ds = await dataset("plan", 3000);
    const user = await t.db.user.create({ data: { email: "plan@t.local", name: "plan", passwordHash: "x" } });
    const voters = await Promise.all(
      [1, 2, 3].map((k) =>
        t.db.user.create({ data: { email: `plan-${k}@t.local`, name: `v${k}`, passwordHash: "x" } }),
      ),
    );
    // 1,000 started faces (one vote each, so they sort first) each leased to someone else, as with many people
    // labelling at once: every one is at capacity (minVotes 2), and the pick must not walk past them.
    const started = await t.db.image.findMany({
      where: { datasetId: ds.id },
      orderBy: { id: "asc" },
      take: 1000,
      select: { id: true },
    });
    await t.db.vote.createMany({
      data: started.map((i) => ({ imageId: i.id, annotatorId: voters[0]!.id, label: "fear" })),
    });
    await t.db.taskLease.createMany({
      data: started.map((i) => ({
        imageId: i.id,
        annotatorId: voters[1]!.id,
        expiresAt: new Date(Date.now() + 600_000),
      })),
    });
    const task = await assign.findNextTask(user.id, { datasetId: ds.id, random: () => 0.99 });
    expect(task).not.toBeNull();
    expect(started.map((i) => i.id)).not.toContain(task!.imageId);
    // Votes elsewhere (3,000 on another dataset), which the pick must not read.
    const other = await dataset("plan-other", 1000);
    const otherImages = await t.db.image.findMany({ where: { datasetId: other.id }, select: { id: true } });
    await t.db.vote.createMany({
      data: voters.flatMap((v) =>
        otherImages.map((i) => ({ imageId: i.id, annotatorId: v.id, label: "fear" })),
      ),
    });
    // Statistics, as any database that has been running has them (autovacuum); a freshly bulk-loaded table
    // without them gets a bitmap scan + sort of every open image instead (measured: 3,001 rows for 3,000).
    await t.db.$executeRawUnsafe(`ANALYZE "ImageTally", "Image", "Vote", "TaskLease"`);
    const client = await sql.pool().connect();
    try {
      // What concord_lease_open's cached plans end up with after a few calls on a connection.
      await client.query("SET plan_cache_mode = force_generic_plan");
      await client.query("BEGIN");
      // pg_stat_xact_user_tables also holds the counts of this connection's earlier transactions until the
      // backend flushes them (at most once a second while idle, Postgres 15+): read it before and after.
      const readsNow = async () =>
        Object.fromEntries(
          (
            await client.query<{ relname: string; rows: string }>(
              `SELECT relname, seq_tup_read + coalesce(idx_tup_fetch, 0) AS rows FROM pg_stat_xact_user_tables
               WHERE relname IN ('ImageTally', 'Image', 'Vote', 'TaskLease')`,
            )
          ).rows.map((r) => [r.relname, Number(r.rows)]),
        ) as Record<string, number>;
      const before = await readsNow();
      const t0 = performance.now();
      const leased = await client.query<{ imageId: string; lost: boolean }>(
        `SELECT "imageId", lost FROM concord_lease_open($1, $2, 2, 5, '{}', 60, '{}')`,
        [ds.id, user.id],
      );
      const ms = performance.now() - t0;
      // This call's own reads, per table (this connection's counters, nobody else's).
      const after = await readsNow();
      await client.query("ROLLBACK");
      expect(leased.rows).toHaveLength(1);
      expect(leased.rows[0]!.lost).toBe(false);
      expect(leased.rows[0]!.imageId).not.toBe(task!.imageId); // held by this annotator already
      const rows = Object.fromEntries(
        Object.entries(after).map(([table, n]) => [table, n - (before[table] ?? 0)]),
      ) as Record<string, number>;
      // From the start of the open-images index: the first free image, which this annotator holds, then the
      // next; a few rows of each other table: none of the 4,000 votes, 1,000 leases or 4,000 images.
      expect(rows.ImageTally).toBeLessThan(10);
      for (const table of ["Image", "Vote", "TaskLease"]) expect(rows[table] ?? 0, table).toBeLessThan(10);
      expect(ms).toBeLessThan(50);
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      await client.query("RESET plan_cache_mode").catch(() => {});
      client.release();
    }
  });
});
