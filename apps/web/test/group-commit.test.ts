// Group commit (src/server/group-commit.ts): the queue's rules with hand-driven runners, then the votes' own
// group (tasks/votes.ts castVote) against a fresh migrated Postgres: concurrent votes share transactions, every
// one is a row with its own answer, and a vote whose statement fails fails alone.
import { FERPLUS_LABELS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroupCommit } from "../src/server/group-commit";

type TDeferred<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
function deferred<T>(): TDeferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));

// Runners that record their calls and finish when the test says so.
function harness(maxBatch: number, maxInFlight: number) {
  const ones: { n: number; done: TDeferred<string> }[] = [];
  const manys: { ns: number[]; done: TDeferred<string[]> }[] = [];
  const group = new GroupCommit<number, string>({
    runOne: (n) => {
      const done = deferred<string>();
      ones.push({ n, done });
      return done.promise;
    },
    runMany: (ns) => {
      const done = deferred<string[]>();
      manys.push({ ns: [...ns], done });
      return done.promise;
    },
    maxBatch,
    maxInFlight,
    order: (a, b) => a - b,
  });
  return { group, ones, manys };
}

describe("GroupCommit", () => {
  it("a call alone goes at once on its own; calls arriving meanwhile wait and go together, in order", async () => {
    const { group, ones, manys } = harness(16, 1);
    const first = group.run(7);
    await tick();
    expect(ones.map((o) => o.n)).toEqual([7]);
    const later = [group.run(5), group.run(9), group.run(3)];
    await tick();
    expect(manys).toHaveLength(0); // the slot is busy
    ones[0]!.done.resolve("r7");
    expect(await first).toBe("r7");
    await tick();
    expect(manys.map((m) => m.ns)).toEqual([[3, 5, 9]]);
    manys[0]!.done.resolve(["r3", "r5", "r9"]);
    expect(await Promise.all(later)).toEqual(["r5", "r9", "r3"]); // each caller gets its own result
    expect(group.stats).toEqual({ calls: 4, batches: 2, fallbacks: 0, largest: 3 });
  });

  it("takes at most maxBatch calls per transaction and maxInFlight transactions at once", async () => {
    const { group, ones, manys } = harness(2, 2);
    const all = [1, 2, 3, 4, 5, 6].map((n) => group.run(n));
    await tick();
    // Two slots, each taken at once by the call that found it free; the rest wait.
    expect(ones.map((o) => o.n)).toEqual([1, 2]);
    expect(manys).toHaveLength(0);
    ones[1]!.done.resolve("r2");
    await tick();
    await tick();
    expect(manys.map((m) => m.ns)).toEqual([[3, 4]]); // the freed slot takes two, not four
    ones[0]!.done.resolve("r1");
    await tick();
    await tick();
    expect(manys.map((m) => m.ns)).toEqual([
      [3, 4],
      [5, 6],
    ]);
    manys[1]!.done.resolve(["r5", "r6"]);
    manys[0]!.done.resolve(["r3", "r4"]);
    expect(await Promise.all(all)).toEqual(["r1", "r2", "r3", "r4", "r5", "r6"]);
    expect(group.stats).toEqual({ calls: 6, batches: 4, fallbacks: 0, largest: 2 });
  });

  it("a failed batch runs each call on its own: one call's error is its own, the others succeed", async () => {
    const { group, ones, manys } = harness(16, 1);
    const first = group.run(0);
    await tick();
    const batched = [group.run(1), group.run(2), group.run(3)].map((p) =>
      p.then(
        (v) => ({ ok: v }),
        (e: Error) => ({ error: e.message }),
      ),
    );
    ones[0]!.done.resolve("r0");
    await first;
    await tick();
    manys[0]!.done.reject(new Error("integer out of range"));
    await tick();
    await tick();
    expect(ones.slice(1).map((o) => o.n)).toEqual([1, 2, 3]);
    ones[1]!.done.resolve("r1");
    ones[2]!.done.reject(new Error("integer out of range"));
    ones[3]!.done.resolve("r3");
    expect(await Promise.all(batched)).toEqual([
      { ok: "r1" },
      { error: "integer out of range" },
      { ok: "r3" },
    ]);
    expect(group.stats.fallbacks).toBe(1);
  });

  it("a batch answering the wrong number of results counts as failed (each call runs again alone)", async () => {
    const { group, ones, manys } = harness(16, 1);
    const first = group.run(0);
    await tick();
    const batched = [group.run(1), group.run(2)];
    ones[0]!.done.resolve("r0");
    await first;
    await tick();
    manys[0]!.done.resolve(["only one"]);
    await tick();
    await tick();
    for (const o of ones.slice(1)) o.done.resolve(`alone ${o.n}`);
    expect(await Promise.all(batched)).toEqual(["alone 1", "alone 2"]);
  });

  it("refuses a batch size or a slot count below one", () => {
    const run = async () => "";
    expect(
      () => new GroupCommit({ runOne: run, runMany: async () => [], maxBatch: 0, maxInFlight: 1 }),
    ).toThrow(/maxBatch/);
    expect(
      () => new GroupCommit({ runOne: run, runMany: async () => [], maxBatch: 1, maxInFlight: 0 }),
    ).toThrow(/maxInFlight/);
  });
});

describe("castVote's group commit (Postgres)", () => {
  let t: TTestDatabase;
  let votes: typeof import("../src/server/tasks/votes");
  let images: string[];
  let annotators: string[];

  beforeAll(async () => {
    t = await createTestDatabase("concord_web_group_commit");
    // One transaction at a time: every vote that arrives while one is in flight waits for the next batch.
    Object.assign(process.env, {
      DATABASE_URL: t.url,
      CONCORD_VOTE_BATCH: "16",
      CONCORD_VOTE_BATCH_INFLIGHT: "1",
    });
    votes = await import("../src/server/tasks/votes");
    const ds = await t.db.dataset.create({
      data: {
        slug: "gc",
        name: "GC",
        source: "SYNTHETIC",
        taxonomy: [...FERPLUS_LABELS],
        goldRate: 0,
        minVotes: 3,
        maxVotes: 3,
      },
    });
    await t.db.image.createMany({
      data: Array.from({ length: 40 }, (_, i) => ({
        datasetId: ds.id,
        split: "TRAIN" as const,
        externalId: `gc-${String(i).padStart(2, "0")}`,
        sha256: String(i).padStart(64, "0"),
        phash: String(i).padStart(16, "0"),
        pixels: new Uint8Array(48 * 48).fill(i),
      })),
    });
    images = (await t.db.image.findMany({ where: { datasetId: ds.id }, orderBy: { externalId: "asc" } })).map(
      (i) => i.id,
    );
    annotators = [];
    for (let i = 0; i < 12; i++)
      annotators.push(
        (
          await t.db.user.create({
            data: { email: `gc${i}@t.local`, name: `gc${i}`, passwordHash: "x", role: "ANNOTATOR" },
          })
        ).id,
      );
  });
  afterAll(async () => {
    const { getDb } = await import("@concord/db");
    await getDb().$disconnect();
    await t?.drop();
  });

  it("concurrent votes share transactions; each is a row with its own answer and its own next face", async () => {
    const before = { ...votes.voteGroupStats() };
    // Twelve people at once, three of them on the same face (its tally row taken three times in a batch).
    const answers = await Promise.all(
      annotators.map((a, i) =>
        votes.castVote(
          a,
          { imageId: images[i < 3 ? 0 : i]!, label: "happiness", requestId: `gc-req-${i}`, next: {} },
          { roles: ["ANNOTATOR"] },
        ),
      ),
    );
    const stats = votes.voteGroupStats();
    expect(stats.calls - before.calls).toBe(12);
    expect(stats.batches - before.batches).toBeLessThan(12); // some went together
    expect(stats.largest).toBeGreaterThan(1);
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(201));
    const rows = await t.db.vote.findMany({ where: { requestId: { startsWith: "gc-req-" } } });
    expect(rows).toHaveLength(12);
    for (const [i, a] of answers.entries()) {
      const row = rows.find((r) => r.requestId === `gc-req-${i}`)!;
      expect(a.vote.id).toBe(row.id);
      expect(row.annotatorId).toBe(annotators[i]);
      expect(a.progress).toEqual({ today: 1, total: 1 });
      expect(a.next?.imageId).toBeTruthy();
      expect(a.next?.imageId).not.toBe(row.imageId);
    }
    // Each next face is leased to the one who was given it (a face is never handed to two people at once
    // beyond its votes still needed).
    const leases = await t.db.taskLease.findMany({ where: { annotatorId: { in: annotators } } });
    for (const [i, a] of answers.entries())
      expect(leases.some((l) => l.annotatorId === annotators[i] && l.imageId === a.next?.imageId)).toBe(true);
    const tally = await t.db.$queryRawUnsafe<{ votes: number }[]>(
      `SELECT votes FROM "ImageTally" WHERE "imageId" = $1`,
      images[0],
    );
    expect(tally[0]?.votes).toBe(3);
  });

  it("a vote whose statement fails fails alone: the others of its batch are committed and answered", async () => {
    const before = { ...votes.voteGroupStats() };
    const results = await Promise.all(
      annotators.slice(0, 6).map((a, i) =>
        votes
          .castVote(
            a,
            {
              imageId: images[20 + i]!,
              label: "neutral",
              requestId: `gc-bad-${i}`,
              // Past Postgres' integer: the statement errors (the web's zod schema never lets this through).
              durationMs: i === 3 ? 2 ** 40 : 1000,
              next: {},
            },
            { roles: ["ANNOTATOR"] },
          )
          .then(
            (a) => ({ status: a.status }),
            (e: Error) => ({ error: e.message }),
          ),
      ),
    );
    const stats = votes.voteGroupStats();
    expect(stats.fallbacks - before.fallbacks).toBeGreaterThanOrEqual(1);
    expect(results[3]).toEqual({ error: expect.stringMatching(/out of range/) });
    for (const i of [0, 1, 2, 4, 5]) expect(results[i]).toEqual({ status: 201 });
    const rows = await t.db.vote.findMany({ where: { requestId: { startsWith: "gc-bad-" } } });
    expect(rows.map((r) => r.requestId).sort()).toEqual([
      "gc-bad-0",
      "gc-bad-1",
      "gc-bad-2",
      "gc-bad-4",
      "gc-bad-5",
    ]);
  });

  it("a batch stuck behind a lock gives up after its lock timeout: its other votes do not wait for the lock", async () => {
    const pg = (await import("pg")).default;
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      // Another transaction holds the tally row of face 31, as a slow writer would.
      await holder.query("BEGIN");
      await holder.query(`SELECT 1 FROM "ImageTally" WHERE "imageId" = $1 FOR UPDATE`, [images[31]]);
      const t0 = performance.now();
      const timed = (i: number, image: string) =>
        votes
          .castVote(
            annotators[i]!,
            { imageId: image, label: "fear", requestId: `gc-lock-${i}`, next: {} },
            { roles: ["ANNOTATOR"] },
          )
          .then((a) => ({ i, status: a.status, ms: performance.now() - t0 }));
      // The first goes alone; the next five queue behind it and go as one batch, the locked face among them.
      const pending = [
        timed(6, images[30]!),
        timed(7, images[31]!),
        ...[8, 9, 10, 11].map((i) => timed(i, images[24 + i]!)),
      ];
      const released = new Promise<number>((r) =>
        setTimeout(async () => {
          await holder.query("COMMIT");
          r(performance.now() - t0);
        }, 2000),
      );
      const answers = await Promise.all(pending);
      const releasedAt = await released;
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
      for (const a of answers.filter((a) => a.i !== 7)) expect(a.ms).toBeLessThan(releasedAt);
      expect(answers.find((a) => a.i === 7)!.ms).toBeGreaterThanOrEqual(releasedAt);
    } finally {
      await holder.end();
    }
    const rows = await t.db.vote.count({ where: { requestId: { startsWith: "gc-lock-" } } });
    expect(rows).toBe(6);
  });
});
