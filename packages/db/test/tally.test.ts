// "ImageTally" (migrations 20261124200000_image_tally, 20261130400000_lease_open_function) and
// "AnnotatorProgress" (20261201200000_annotator_progress) against the truth, COUNT(*) over "Vote" and
// "TaskLease": after the migrations' backfill, random single-row and multi-row
// vote/undo/relabel/gold/lease/policy sequences, and concurrent voters and leases on the same images.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// Deterministic pseudo-random numbers (mulberry32): a failing sequence can be replayed.
import { createRng } from "@concord/crowd";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, migrate } from "../src/migrate";
import { createTestDatabase, TEST_SERVER_URL, type TTestDatabase } from "../src/testing";

const LABELS = ["neutral", "happiness", "surprise", "sadness", "anger"];

// Tally rows that differ from what the votes, gold labels and dataset policy say, and images without one.
const MISMATCHES = `
WITH truth AS (
  SELECT i.id, i."datasetId", coalesce(sum(c.n), 0)::int AS n,
         coalesce(jsonb_object_agg(c.label, c.n) FILTER (WHERE c.label IS NOT NULL), '{}') AS counts,
         coalesce(string_agg(c.n::text, ',' ORDER BY c.n DESC), '') AS sig,
         (SELECT count(*)::int FROM "TaskLease" l WHERE l."imageId" = i.id) AS leases
  FROM "Image" i
  LEFT JOIN (SELECT "imageId", label, count(*)::int AS n FROM "Vote" WHERE NOT "isGold" GROUP BY 1, 2) c
    ON c."imageId" = i.id
  GROUP BY i.id, i."datasetId"
)
SELECT tr.id, tr.n, tr.counts, tr.leases, t.votes, t.counts AS "tallyCounts", t.gold, t.done, t.leases AS "tallyLeases",
       t."full", t."datasetId"
FROM truth tr
JOIN "Dataset" ds ON ds.id = tr."datasetId"
LEFT JOIN "ImageTally" t ON t."imageId" = tr.id
WHERE t."imageId" IS NULL
   OR t.votes <> tr.n
   OR t.counts <> tr.counts
   OR t."datasetId" <> tr."datasetId"
   OR t.gold <> EXISTS (SELECT 1 FROM "GoldLabel" g WHERE g."imageId" = tr.id)
   OR t.done <> (tr.n >= ds."maxVotes" OR tr.sig = ANY(ds."doneSignatures"))
   OR t.leases <> tr.leases
   OR t."full" <> (tr.leases >= greatest(1, greatest(ds."minVotes", coalesce(t.target, 0)) - tr.n))`;

// Users whose "AnnotatorProgress" (migration 20261201200000_annotator_progress), as concord_annotator_progress
// reads it, differs from the count it replaces; and rows off their invariant (total; no vote after "day";
// "today" = the votes dated "day"), which the current date alone does not exercise.
const PROGRESS_MISMATCHES = `
SELECT u.id, p.today, p.total, c.today AS "countToday", c.total AS "countTotal"
FROM "User" u
CROSS JOIN LATERAL concord_annotator_progress(u.id) p
CROSS JOIN LATERAL (
  SELECT count(*)::int AS total,
         count(*) FILTER (WHERE v."createdAt" >= date_trunc('day', now() AT TIME ZONE 'UTC'))::int AS today
  FROM "Vote" v WHERE v."annotatorId" = u.id) c
WHERE p.today <> c.today OR p.total <> c.total
UNION ALL
SELECT r."annotatorId", r.today, r.total, NULL, NULL FROM "AnnotatorProgress" r
WHERE r.total <> (SELECT count(*) FROM "Vote" v WHERE v."annotatorId" = r."annotatorId")
   OR EXISTS (SELECT 1 FROM "Vote" v WHERE v."annotatorId" = r."annotatorId"
              AND (r.day IS NULL OR v."createdAt"::date > r.day))
   OR r.today <> (SELECT count(*) FROM "Vote" v WHERE v."annotatorId" = r."annotatorId" AND v."createdAt"::date = r.day)`;

async function mismatches(c: pg.Pool | pg.Client) {
  const [rows, orphans, progress] = await Promise.all([
    c.query(MISMATCHES),
    c.query(
      `SELECT count(*)::int AS n FROM "ImageTally" t WHERE NOT EXISTS (SELECT 1 FROM "Image" i WHERE i.id = t."imageId")`,
    ),
    c.query(PROGRESS_MISMATCHES),
  ]);
  return { rows: rows.rows, orphans: orphans.rows[0].n as number, progress: progress.rows };
}

async function seed(c: pg.Pool | pg.Client, slug: string, images: number, users: number, maxVotes = 5) {
  const ds = await c.query(
    `INSERT INTO "Dataset" (id, slug, name, source, taxonomy, "minVotes", "maxVotes", "updatedAt")
     VALUES (gen_random_uuid()::text, $1, $1, 'SYNTHETIC', $2, 2, $3, now()) RETURNING id`,
    [slug, LABELS, maxVotes],
  );
  const datasetId = ds.rows[0].id as string;
  const img = await c.query(
    `INSERT INTO "Image" (id, "datasetId", split, "externalId", sha256, phash, pixels)
     SELECT $1 || '-' || lpad(g::text, 4, '0'), $1, 'TRAIN', g::text, lpad(g::text, 64, '0'), lpad(g::text, 16, '0'), '\\x00'
     FROM generate_series(1, $2) g RETURNING id`,
    [datasetId, images],
  );
  const usr = await c.query(
    `INSERT INTO "User" (id, email, name, "passwordHash", "updatedAt")
     SELECT $1 || '-u' || g, $1 || '-u' || g || '@t', 'u', 'x', now() FROM generate_series(1, $2) g RETURNING id`,
    [slug, users],
  );
  return {
    datasetId,
    images: img.rows.map((r) => r.id as string),
    users: usr.rows.map((r) => r.id as string),
  };
}

let t: TTestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  t = await createTestDatabase("concord_tally");
  pool = new pg.Pool({ connectionString: t.url, max: 12 });
  pool.on("error", () => {}); // idle clients closed by the database being dropped at the end
}, 60_000);
afterAll(async () => {
  await pool?.end();
  await t?.drop();
});

describe("ImageTally", () => {
  it("signature helper", async () => {
    const { rows } = await pool.query(
      `SELECT concord_vote_signature('{"a":1,"b":5,"c":2}') AS s, concord_vote_signature('{}') AS e,
              concord_tally_done(2, '{"a":2}', 5, '{2,"3,1"}') AS d, concord_tally_done(2, '{"a":1,"b":1}', 5, '{2}') AS o`,
    );
    expect(rows[0]).toEqual({ s: "5,2,1", e: "", d: true, o: false });
  });

  it("the migration backfills tallies for existing images and votes", async () => {
    // A database at the migration before the tally, with data, then migrated.
    const dir = mkdtempSync(join(tmpdir(), "concord-migrations-"));
    const before = readdirSync(MIGRATIONS_DIR).filter((n) => n < "20261124200000_image_tally");
    for (const name of before) cpSync(join(MIGRATIONS_DIR, name), join(dir, name), { recursive: true });
    const name = `concord_tally_backfill_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(TEST_SERVER_URL);
    url.pathname = `/${name}`;
    const c = new pg.Client({ connectionString: url.toString() });
    try {
      await migrate(url.toString(), dir);
      await c.connect();
      const s = await seed(c, "old", 30, 6, 4);
      const random = createRng(7);
      for (const u of s.users)
        for (const i of s.images)
          if (random() < 0.4)
            await c.query(
              `INSERT INTO "Vote" (id, "imageId", "annotatorId", label, "isGold") VALUES (gen_random_uuid()::text, $1, $2, $3, $4)`,
              [i, u, LABELS[Math.floor(random() * LABELS.length)], random() < 0.1],
            );
      await c.query(`INSERT INTO "GoldLabel" ("imageId", label) VALUES ($1, 'anger')`, [s.images[3]]);
      for (const [i, u] of [
        [0, 0],
        [0, 1],
        [5, 2],
      ] as const)
        await c.query(
          `INSERT INTO "TaskLease" ("imageId", "annotatorId", "expiresAt") VALUES ($1, $2, now() + interval '1 minute')`,
          [s.images[i], s.users[u]],
        );
      const applied = await migrate(url.toString());
      expect(applied.applied).toContain("20261124200000_image_tally");
      expect(applied.applied).toContain("20261130400000_lease_open_function");
      expect(await mismatches(c)).toEqual({ rows: [], orphans: 0, progress: [] });
      const leased = await c.query(`SELECT leases FROM "ImageTally" WHERE "imageId" = $1`, [s.images[0]]);
      expect(leased.rows[0].leases).toBe(2);
      const full = await c.query(`SELECT count(*)::int AS n FROM "ImageTally" WHERE done`);
      expect(full.rows[0].n).toBeGreaterThan(0); // some images reached maxVotes 4
    } finally {
      await c.end().catch(() => {});
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("equals COUNT(*) after random vote, undo, relabel, bulk, gold, lease and policy sequences", async () => {
    const s = await seed(pool, "rand", 12, 10);
    const random = createRng(42);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const label = () => pick(LABELS);
    for (let step = 0; step < 400; step++) {
      const op = random();
      if (op < 0.35) {
        // one vote (a double vote is refused by the unique index and must change nothing)
        await pool.query(
          `INSERT INTO "Vote" (id, "imageId", "annotatorId", label, "isGold") VALUES (gen_random_uuid()::text, $1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [pick(s.images), pick(s.users), label(), random() < 0.05],
        );
      } else if (op < 0.45) {
        // a bulk insert like the importers' (several votes per image in one statement)
        const n = 1 + Math.floor(random() * 8);
        await pool.query(
          `INSERT INTO "Vote" (id, "imageId", "annotatorId", label)
           SELECT gen_random_uuid()::text, u.i, u.a, u.l FROM unnest($1::text[], $2::text[], $3::text[]) AS u(i, a, l)
           ON CONFLICT DO NOTHING`,
          [
            Array.from({ length: n }, () => pick(s.images)),
            Array.from({ length: n }, () => pick(s.users)),
            Array.from({ length: n }, label),
          ],
        );
      } else if (op < 0.5) {
        // the importers' way: the per-row trigger deferred for the insert, then one recount of the images
        const n = 1 + Math.floor(random() * 8);
        const ids = Array.from({ length: n }, () => pick(s.images));
        const c = await pool.connect();
        try {
          await c.query("BEGIN");
          await c.query(`SELECT set_config('concord.tally_deferred', 'on', true)`);
          await c.query(
            `INSERT INTO "Vote" (id, "imageId", "annotatorId", label)
             SELECT gen_random_uuid()::text, u.i, u.a, u.l FROM unnest($1::text[], $2::text[], $3::text[]) AS u(i, a, l)
             ON CONFLICT DO NOTHING`,
            [ids, Array.from({ length: n }, () => pick(s.users)), Array.from({ length: n }, label)],
          );
          await c.query(`SELECT set_config('concord.tally_deferred', 'off', true)`);
          await c.query(`SELECT concord_tally_refresh($1::text[])`, [ids]);
          await c.query("COMMIT");
        } finally {
          c.release();
        }
      } else if (op < 0.65) {
        // undo: an annotator's latest vote
        await pool.query(
          `DELETE FROM "Vote" WHERE id = (SELECT id FROM "Vote" WHERE "annotatorId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT 1)`,
          [pick(s.users)],
        );
      } else if (op < 0.7) {
        await pool.query(`DELETE FROM "Vote" WHERE "imageId" = $1`, [pick(s.images)]); // many at once
      } else if (op < 0.77) {
        await pool.query(
          `UPDATE "Vote" SET label = $2 WHERE id IN (SELECT id FROM "Vote" WHERE "imageId" = $1 LIMIT 2)`,
          [pick(s.images), label()],
        );
      } else if (op < 0.8) {
        await pool.query(
          `UPDATE "Vote" SET "isGold" = NOT "isGold" WHERE id IN (SELECT id FROM "Vote" ORDER BY random() LIMIT 1)`,
        );
      } else if (op < 0.85) {
        // a lease, or a renewal of an existing one (the web's ON CONFLICT DO UPDATE): no second row
        await pool.query(
          `INSERT INTO "TaskLease" ("imageId", "annotatorId", "expiresAt") VALUES ($1, $2, now() + interval '1 minute')
           ON CONFLICT ("imageId", "annotatorId") DO UPDATE SET "expiresAt" = EXCLUDED."expiresAt"`,
          [pick(s.images), pick(s.users)],
        );
      } else if (op < 0.87) {
        await pool.query(`DELETE FROM "TaskLease" WHERE "imageId" = $1`, [pick(s.images)]);
      } else if (op < 0.88) {
        await pool.query(`UPDATE "Dataset" SET "minVotes" = $2 WHERE id = $1`, [
          s.datasetId,
          1 + Math.floor(random() * 4),
        ]);
      } else if (op < 0.92) {
        if (random() < 0.5)
          await pool.query(
            `INSERT INTO "GoldLabel" ("imageId", label) VALUES ($1, 'anger') ON CONFLICT DO NOTHING`,
            [pick(s.images)],
          );
        else await pool.query(`DELETE FROM "GoldLabel" WHERE "imageId" = $1`, [pick(s.images)]);
      } else if (op < 0.96) {
        // the web writing a new overlap rule, or an admin changing maxVotes
        await pool.query(`UPDATE "Dataset" SET "doneSignatures" = $2 WHERE id = $1`, [
          s.datasetId,
          random() < 0.5 ? ["3", "4", "3,1"] : ["2", "4,1"],
        ]);
      } else if (op < 0.98) {
        await pool.query(`UPDATE "Dataset" SET "maxVotes" = $2 WHERE id = $1`, [
          s.datasetId,
          3 + Math.floor(random() * 4),
        ]);
      } else {
        // a new image joins mid-way (a later import)
        await pool
          .query(
            `INSERT INTO "Image" (id, "datasetId", split, "externalId", sha256, phash, pixels)
           VALUES ($1 || '-x' || $2, $1, 'TRAIN', 'x' || $2, lpad($2, 64, '0'), lpad($2, 16, '0'), '\\x00') RETURNING id`,
            [s.datasetId, String(step)],
          )
          .then((r) => s.images.push(r.rows[0].id));
      }
      if (step % 20 === 19)
        expect(await mismatches(pool), `after step ${step}`).toEqual({ rows: [], orphans: 0, progress: [] });
    }
    expect(await mismatches(pool)).toEqual({ rows: [], orphans: 0, progress: [] });
    const { rows } = await pool.query(
      `SELECT sum(votes)::int AS n FROM "ImageTally" WHERE "datasetId" = $1`,
      [s.datasetId],
    );
    expect(rows[0].n).toBeGreaterThan(0); // the sequence left votes behind to compare
    // Deleting images and users cascades to votes: their tallies go with the images, the others follow.
    await pool.query(`DELETE FROM "User" WHERE id = $1`, [s.users[0]]);
    await pool.query(`DELETE FROM "Image" WHERE id = $1`, [s.images[0]]);
    expect(await mismatches(pool)).toEqual({ rows: [], orphans: 0, progress: [] });
  });

  it("equals COUNT(*) under concurrent voters, undos and a bulk importer on the same few images", async () => {
    const s = await seed(pool, "conc", 4, 40, 1000);
    const random = createRng(3);
    // 40 annotators, each leasing and voting on the 4 images in its own order, undoing now and then, all at once,
    // while an importer bulk-inserts votes for the same annotators the deferred way and recounts (progress rows
    // locked, then tally rows: the order the vote triggers take them in).
    const importer = async () => {
      const c = await pool.connect();
      try {
        for (let batch = 0; batch < 15; batch++) {
          const n = 1 + Math.floor(random() * 6);
          const ids = Array.from({ length: n }, () => s.images[Math.floor(random() * s.images.length)]!);
          await c.query("BEGIN");
          await c.query(`SELECT set_config('concord.tally_deferred', 'on', true)`);
          await c.query(
            `INSERT INTO "Vote" (id, "imageId", "annotatorId", label)
             SELECT gen_random_uuid()::text, u.i, u.a, 'anger' FROM unnest($1::text[], $2::text[]) AS u(i, a)
             ON CONFLICT DO NOTHING`,
            [ids, Array.from({ length: n }, () => s.users[Math.floor(random() * s.users.length)]!)],
          );
          await c.query(`SELECT set_config('concord.tally_deferred', 'off', true)`);
          await c.query(`SELECT concord_tally_refresh($1::text[])`, [ids]);
          await c.query("COMMIT");
        }
      } finally {
        c.release();
      }
    };
    await Promise.all([
      importer(),
      ...s.users.map(async (user) => {
        const c = await pool.connect();
        try {
          for (let round = 0; round < 3; round++) {
            for (const image of [...s.images].sort(() => random() - 0.5)) {
              if (random() < 0.5)
                await c.query(
                  `INSERT INTO "TaskLease" ("imageId", "annotatorId", "expiresAt") VALUES ($1, $2, now() + interval '1 minute')
                   ON CONFLICT DO NOTHING`,
                  [image, user],
                );
              if (random() < 0.3)
                await c.query(`DELETE FROM "TaskLease" WHERE "imageId" = $1 AND "annotatorId" = $2`, [
                  image,
                  user,
                ]);
              await c.query(
                `INSERT INTO "Vote" (id, "imageId", "annotatorId", label) VALUES (gen_random_uuid()::text, $1, $2, $3)
                 ON CONFLICT DO NOTHING`,
                [image, user, LABELS[Math.floor(random() * LABELS.length)]],
              );
              if (random() < 0.3)
                await c.query(
                  `DELETE FROM "Vote" WHERE id = (SELECT id FROM "Vote" WHERE "annotatorId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT 1)`,
                  [user],
                );
            }
          }
        } finally {
          c.release();
        }
      }),
    ]);
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM "Vote" v JOIN "Image" i ON i.id = v."imageId" WHERE i."datasetId" = $1`,
      [s.datasetId],
    );
    expect(rows[0].n).toBeGreaterThan(40); // the images really were contended
    expect(await mismatches(pool)).toEqual({ rows: [], orphans: 0, progress: [] });
  });

  it("keeps each annotator's progress exact for votes dated on other days, moved, undone and bulk-inserted", async () => {
    const s = await seed(pool, "days", 12, 4, 1000);
    const [a, b] = s.users as [string, string];
    const vote = (image: number, user: string, days: number) =>
      pool.query(
        `INSERT INTO "Vote" (id, "imageId", "annotatorId", label, "createdAt")
         VALUES (gen_random_uuid()::text, $1, $2, 'anger', now() AT TIME ZONE 'UTC' + make_interval(days => $3))
         RETURNING id`,
        [s.images[image], user, days],
      );
    const progress = async (user: string) =>
      (await pool.query(`SELECT today, total FROM concord_annotator_progress($1)`, [user])).rows[0];
    expect(await progress(a)).toEqual({ today: 0, total: 0 });
    await vote(0, a, -2);
    await vote(1, a, -1);
    expect(await progress(a)).toEqual({ today: 0, total: 2 }); // only older days
    const todays = await vote(2, a, 0);
    await vote(3, a, 0);
    await vote(4, a, -3); // an older vote after today's: counts in total only
    expect(await progress(a)).toEqual({ today: 2, total: 5 });
    const future = await vote(5, a, 2); // a clock ahead: counted as today's by the count, and here
    expect(await progress(a)).toEqual({ today: 3, total: 6 });
    expect(await mismatches(pool)).toEqual({ rows: [], orphans: 0, progress: [] });
    await pool.query(`DELETE FROM "Vote" WHERE id = $1`, [future.rows[0].id]); // "day" stays, its "today" is 0
    expect(await progress(a)).toEqual({ today: 2, total: 5 });
    await pool.query(`UPDATE "Vote" SET "annotatorId" = $2 WHERE id = $1`, [todays.rows[0].id, b]);
    await pool.query(`UPDATE "Vote" SET "createdAt" = "createdAt" - interval '5 days' WHERE "imageId" = $1`, [
      s.images[3],
    ]);
    expect(await progress(a)).toEqual({ today: 0, total: 4 });
    expect(await progress(b)).toEqual({ today: 1, total: 1 });
    await vote(6, a, 0);
    expect(await progress(a)).toEqual({ today: 1, total: 5 });
    // The importers' deferred insert, recounted by concord_tally_refresh.
    const c = await pool.connect();
    try {
      await c.query("BEGIN");
      await c.query(`SELECT set_config('concord.tally_deferred', 'on', true)`);
      await c.query(
        `INSERT INTO "Vote" (id, "imageId", "annotatorId", label, "createdAt")
         SELECT gen_random_uuid()::text, i, u, 'anger', now() AT TIME ZONE 'UTC' - make_interval(days => d)
         FROM unnest($1::text[], $2::text[], $3::int[]) AS x(i, u, d)`,
        [
          [s.images[7], s.images[8], s.images[9]],
          [a, s.users[2], s.users[2]],
          [0, 1, 0],
        ],
      );
      await c.query(`SELECT set_config('concord.tally_deferred', 'off', true)`);
      await c.query(`SELECT concord_tally_refresh($1::text[])`, [[s.images[7], s.images[8], s.images[9]]]);
      await c.query("COMMIT");
    } finally {
      c.release();
    }
    expect(await progress(a)).toEqual({ today: 2, total: 6 });
    expect(await progress(s.users[2]!)).toEqual({ today: 1, total: 2 });
    expect(await mismatches(pool)).toEqual({ rows: [], orphans: 0, progress: [] });
  });

  it("TRUNCATE of the votes and of the leases resets the tallies", async () => {
    const before = await pool.query(`SELECT count(*)::int AS n FROM "ImageTally" WHERE leases <> 0`);
    expect(before.rows[0].n).toBeGreaterThan(0); // the tests above left leases to reset
    await pool.query(`TRUNCATE "Vote"`);
    await pool.query(`TRUNCATE "TaskLease"`);
    expect(await mismatches(pool)).toEqual({ rows: [], orphans: 0, progress: [] });
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM "ImageTally" WHERE votes <> 0 OR leases <> 0 OR "full"`,
    );
    expect(rows[0].n).toBe(0);
  });
});
