import { createHash } from "node:crypto";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportDataset } from "../src/archive/export";
import { ARCHIVE_FILES, ArchiveError, archiveHashOf, MANIFEST, type TManifest } from "../src/archive/format";
import { restoreArchive } from "../src/archive/restore";
import { counts, dumpTables, SLUG, seed, snapshotVotes, type TTable } from "./archive-fixture";
import { tempDir } from "./helpers";

let src: TTestDatabase;
let dst: TTestDatabase;
let archive: string;

const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as TManifest;
const writeManifest = (dir: string, m: unknown) => writeFileSync(join(dir, MANIFEST), JSON.stringify(m));
const copyOf = (name: string, edit: (dir: string) => void) => {
  const dir = join(tempDir(`archive-${name}`), "a");
  cpSync(archive, dir, { recursive: true });
  edit(dir);
  return dir;
};
const rewrite = (dir: string, file: string, fn: (s: string) => string) =>
  writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), "utf8")));
// A careful forger updates the file's manifest entry (and maybe the archive hash) too.
const reseal = (dir: string, file: keyof TManifest["files"], archiveHash: boolean) => {
  const m = readManifest(dir);
  const text = readFileSync(join(dir, file), "utf8");
  const rows = text.split("\n").length - 1;
  m.files[file] = { rows, bytes: Buffer.byteLength(text), sha256: sha256(text) };
  if (archiveHash) m.archiveHash = archiveHashOf(m);
  writeManifest(dir, m);
};
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

beforeAll(async () => {
  src = await createTestDatabase("concord_archive_src");
  dst = await createTestDatabase("concord_archive_dst");
  await seed(src.db);
  archive = join(tempDir("archive"), "out");
  await exportDataset(src.db, { slug: SLUG, out: archive });
});
afterAll(async () => {
  await src?.drop();
  await dst?.drop();
});

describe("dataset archive", () => {
  it("writes every row people made and the project's settings, annotators pseudonymous by default", () => {
    const m = readManifest(archive);
    expect(m.version).toBe(2);
    expect(m.dataset).toMatchObject({
      slug: SLUG,
      minVotes: 3,
      goldMinAccuracy: 0.7,
      goldWindow: 30,
      guidelines: "Look at the mouth first.",
      qualificationSize: 1,
      stoppingPrior: "MODEL",
    });
    expect(Object.fromEntries(Object.entries(m.files).map(([k, f]) => [k, f.rows]))).toEqual({
      "annotators.ndjson": 4,
      "images.ndjson": 6,
      "tallies.ndjson": 1,
      "votes.ndjson": 6,
      "gold.ndjson": 1,
      "duplicates.ndjson": 1,
      "exclusions.ndjson": 2,
      "image-actions.ndjson": 3,
      "qualification-attempts.ndjson": 3,
      "qualification-answers.ndjson": 2,
      "snapshots.ndjson": 1,
      "soft-labels.ndjson": 1,
    });
    const annotators = readFileSync(join(archive, "annotators.ndjson"), "utf8");
    expect(annotators).not.toContain("@");
    expect(annotators).not.toContain("Ada");
    const votes = readFileSync(join(archive, "votes.ndjson"), "utf8");
    expect(votes).toContain('"durationMs":812,"requestId":"req-0001"');
    expect(votes).toContain("2026-11-02T10:11:12.345Z");
    // The snapshot names the exclusion it applied by ref/time, as exclusions.ndjson does.
    const exclusions = readFileSync(join(archive, "exclusions.ndjson"), "utf8").trim().split("\n");
    const active = exclusions
      .map((l) => JSON.parse(l) as { annotator: string; createdAt: string; revokedAt: string | null })
      .filter((x) => x.revokedAt === null);
    expect(active).toHaveLength(1);
    const { annotator, createdAt } = active[0]!;
    const snapshot = readFileSync(join(archive, "snapshots.ndjson"), "utf8");
    expect(snapshot).toContain(`"annotatorId":"${annotator}","exclusionId":"${annotator}/${createdAt}"`);
  });

  it("restores into a fresh database: every table compares equal (rows and a content hash per table)", async () => {
    const r = await restoreArchive(dst.db, { dir: archive });
    expect(r).toMatchObject({ alreadyRestored: false, version: 2, notInArchive: [] });
    const m = readManifest(archive);
    for (const [name, f] of Object.entries(m.files))
      expect(r.added[name as keyof typeof r.added]).toBe(f.rows);
    const a = await dumpTables(src.db);
    const b = await dumpTables(dst.db);
    const rowsOf = (d: typeof a) =>
      Object.fromEntries(Object.entries(d.rows).map(([t, rows]) => [t, rows.length])) as Record<
        TTable,
        number
      >;
    expect(rowsOf(a)).toEqual({
      Dataset: 1,
      Image: 6,
      Vote: 6,
      GoldLabel: 1,
      ImportedTally: 1,
      DuplicatePair: 1,
      LabelSnapshot: 1,
      SoftLabel: 1,
      AnnotatorExclusion: 2,
      ImageAction: 3,
      QualificationAttempt: 3,
      QualificationAnswer: 2,
      ImageTally: 6,
    });
    expect(rowsOf(b)).toEqual(rowsOf(a));
    for (const table of Object.keys(a.rows) as TTable[]) expect(b.rows[table], table).toEqual(a.rows[table]);
    expect(b.hashes).toEqual(a.hashes);
    // What the review decisions imply: f0's raised target is back (derived by the trigger) ...
    expect(a.rows.ImageTally.find((t) => t.includes('"f0"'))).toContain('"target":5');
    // ... and the next snapshot leaves out the same votes: the excluded annotator's and the excluded face's.
    const kept = await snapshotVotes(dst.db);
    expect(kept).toEqual(await snapshotVotes(src.db));
    expect(kept.map((v) => v.split(" ")[0])).toEqual(["f0", "f2", "f4"]);
    // Export the restored dataset: the same files, so the same archive hash.
    const again = join(tempDir("archive-again"), "out");
    const { manifest } = await exportDataset(dst.db, { slug: SLUG, out: again });
    expect(manifest.files).toEqual(m.files);
    expect(manifest.archiveHash).toBe(m.archiveHash);
    // Snapshot statistics point at the restored annotators and exclusion.
    const snap = await dst.db.labelSnapshot.findFirstOrThrow({ include: { createdBy: true } });
    const stats = snap.stats as {
      workerSkill: Record<string, number>;
      excludedAnnotators: { annotatorId: string; exclusionId: string }[];
    };
    const ids = new Set((await dst.db.user.findMany({ select: { id: true } })).map((u) => u.id));
    expect(Object.keys(stats.workerSkill).every((id) => ids.has(id))).toBe(true);
    const [applied] = stats.excludedAnnotators;
    const x = await dst.db.annotatorExclusion.findUniqueOrThrow({ where: { id: applied!.exclusionId } });
    expect(x).toMatchObject({ annotatorId: applied!.annotatorId, reason: "random keys", revokedAt: null });
    expect(snap.createdBy?.role).toBe("ADMIN");
    expect(snap.createdBy?.passwordHash).toMatch(/^!/); // a restored account cannot sign in
  });

  it("adds nothing when the same archive is restored twice", async () => {
    const before = await counts(dst.db);
    const r = await restoreArchive(dst.db, { dir: archive });
    expect(r.alreadyRestored).toBe(true);
    expect(await counts(dst.db)).toEqual(before);
  });

  it("two restores of one archive at once: one writes it whole, the other writes nothing and says why", async () => {
    const both = await createTestDatabase("concord_archive_race");
    try {
      const results = await Promise.allSettled([
        restoreArchive(both.db, { dir: archive }),
        restoreArchive(both.db, { dir: archive }),
      ]);
      const written = results.filter((r) => r.status === "fulfilled" && !r.value.alreadyRestored);
      expect(written).toHaveLength(1);
      // The other one either started after the first committed (already restored) or raced it and rolled back
      // with an archive error, never Prisma's unique-constraint message.
      for (const r of results) {
        if (r.status === "rejected") {
          expect(r.reason).toBeInstanceOf(ArchiveError);
          expect(String(r.reason)).toMatch(/dataset "[^"]+" was created by another restore/);
        }
      }
      expect(await counts(both.db)).toEqual(await counts(dst.db));
    } finally {
      await both.drop();
    }
  });

  it("refuses a tampered, truncated or future archive with a clear error and changes nothing", async () => {
    const before = await counts(dst.db);
    const cases: [string, string, RegExp][] = [
      [
        "duration",
        copyOf("duration", (d) =>
          rewrite(d, "votes.ndjson", (s) => s.replace('"durationMs":812', '"durationMs":813')),
        ),
        /votes\.ndjson: sha256 differs/,
      ],
      [
        "exclusion reason",
        copyOf("reason", (d) =>
          rewrite(d, "exclusions.ndjson", (s) => s.replace("random keys", "random kays")),
        ),
        /exclusions\.ndjson: sha256 differs/,
      ],
      [
        "truncated",
        copyOf("truncated", (d) => rewrite(d, "images.ndjson", (s) => s.slice(0, Math.floor(s.length / 2)))),
        /images\.ndjson:.*(truncated|not valid JSON)/,
      ],
      [
        "truncated actions",
        copyOf("actions", (d) => rewrite(d, "image-actions.ndjson", (s) => s.slice(0, s.indexOf("\n") + 1))),
        /image-actions\.ndjson: 1 rows \/ \d+ bytes, the manifest says 3 \/ \d+ \(truncated or edited file\)/,
      ],
      [
        "manifest",
        copyOf("manifest", (d) => {
          rewrite(d, "gold.ndjson", (s) => s.replace('"anger"', '"fear"'));
          reseal(d, "gold.ndjson", false);
        }),
        /archive hash does not match/,
      ],
      [
        "no manifest",
        copyOf("nomanifest", (d) => writeFileSync(join(d, MANIFEST), "")),
        /manifest\.json: not valid JSON/,
      ],
      [
        "file dropped from a version 2 manifest",
        copyOf("dropped", (d) => {
          const m = readManifest(d);
          delete (m.files as Partial<TManifest["files"]>)["exclusions.ndjson"];
          m.archiveHash = archiveHashOf(m);
          writeManifest(d, m);
          rmSync(join(d, "exclusions.ndjson"));
        }),
        /manifest\.json: files\.exclusions\.ndjson:/,
      ],
      [
        "future version",
        copyOf("future", (d) => writeManifest(d, { ...readManifest(d), version: 3 })),
        /manifest\.json: version: archive version 3 is newer than this Concord reads \(1 to 2\): upgrade Concord/,
      ],
      [
        "dangling vote",
        copyOf("dangling", (d) => {
          rewrite(d, "votes.ndjson", (s) => s.replace('"image":"f1"', '"image":"f9"'));
          reseal(d, "votes.ndjson", true);
        }),
        /votes\.ndjson: image "f9" is not in images\.ndjson/,
      ],
      [
        "dangling review action",
        copyOf("dangling-action", (d) => {
          rewrite(d, "image-actions.ndjson", (s) => s.replace('"image":"f1"', '"image":"f9"'));
          reseal(d, "image-actions.ndjson", true);
        }),
        /image-actions\.ndjson: image "f9" is not in images\.ndjson/,
      ],
      [
        "two active exclusions of one annotator",
        copyOf("two-active", (d) => {
          rewrite(d, "exclusions.ndjson", (s) => {
            const [x, y] = s
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l) as Record<string, unknown>);
            const active = { revokedBy: null, revokedAt: null };
            return `${JSON.stringify({ ...x, ...active })}\n${JSON.stringify({ ...y, ...active, annotator: x!.annotator })}\n`;
          });
          reseal(d, "exclusions.ndjson", true);
        }),
        /exclusions\.ndjson \(active\): "u-[0-9a-f]{16}" appears twice/,
      ],
      // Rows the database keeps unique: refused by the check, before the first write, with the file named.
      [
        "tally twice",
        copyOf("tally-twice", (d) => {
          rewrite(d, "tallies.ndjson", (s) => s + s);
          reseal(d, "tallies.ndjson", true);
        }),
        /tallies\.ndjson: "f\d [^"]+" appears twice/,
      ],
      [
        "duplicate pair twice, the other way round",
        copyOf("pair-twice", (d) => {
          rewrite(d, "duplicates.ndjson", (s) => {
            const p = JSON.parse(s) as { a: string; b: string };
            return `${s}${JSON.stringify({ ...p, a: p.b, b: p.a })}\n`;
          });
          reseal(d, "duplicates.ndjson", true);
        }),
        /duplicates\.ndjson: "f0 ~ twin" appears twice/,
      ],
      [
        "soft label twice",
        copyOf("soft-twice", (d) => {
          rewrite(d, "soft-labels.ndjson", (s) => s + s);
          reseal(d, "soft-labels.ndjson", true);
        }),
        /soft-labels\.ndjson: "[^"]+ f\d" appears twice/,
      ],
    ];
    for (const [what, dir, error] of cases) {
      await expect(restoreArchive(dst.db, { dir, slug: "arch-copy" }), what).rejects.toThrow(error);
      expect(await counts(dst.db), what).toEqual(before);
    }
    expect(await dst.db.dataset.findUnique({ where: { slug: "arch-copy" } })).toBeNull();
  });

  it("refuses to restore over a dataset of the same name that came from elsewhere", async () => {
    const before = await counts(src.db);
    await expect(restoreArchive(src.db, { dir: archive })).rejects.toThrow(/already exists here/);
    expect(await counts(src.db)).toEqual(before);
  });

  it("restores under another slug beside the original, all or nothing when a request id is taken", async () => {
    // Same database: the web vote's request id already exists, so that vote cannot go in and nothing does.
    const before = await counts(src.db);
    await expect(restoreArchive(src.db, { dir: archive, slug: "arch-two" })).rejects.toThrow(
      /votes\.ndjson: 5 of 6 rows could be written \(a request id already used in this database\?\)/,
    );
    expect(await counts(src.db)).toEqual(before);
    expect(await src.db.dataset.findUnique({ where: { slug: "arch-two" } })).toBeNull();
  });

  it("keeps names and emails only when asked (--identified)", async () => {
    const dir = join(tempDir("archive-identified"), "out");
    const { manifest } = await exportDataset(src.db, { slug: SLUG, out: dir, identified: true });
    expect(manifest.identified).toBe(true);
    const rows = readFileSync(join(dir, "annotators.ndjson"), "utf8");
    expect(rows).toContain('"email":"admin@example.org","name":"Ada Admin"');
  });
});

// A database of its own for a describe block, dropped after it.
function freshDatabase(prefix: string): () => TTestDatabase {
  let t: TTestDatabase | undefined;
  beforeAll(async () => {
    t = await createTestDatabase(prefix);
  });
  afterAll(async () => {
    await t?.drop();
  });
  return () => t!;
}

describe("identified archive into a database that knows the people", () => {
  const database = freshDatabase("concord_archive_aux");

  it("refuses two annotators with one email (any case): they would become one account", async () => {
    const { db } = database();
    const dir = join(tempDir("archive-one-email"), "out");
    await exportDataset(src.db, { slug: SLUG, out: dir, identified: true });
    rewrite(dir, "annotators.ndjson", (s) => {
      const rows = s
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { email: string });
      rows[1]!.email = rows[0]!.email.toUpperCase();
      return `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
    });
    reseal(dir, "annotators.ndjson", true);
    const before = await counts(db);
    await expect(restoreArchive(db, { dir, slug: "arch-one-email" })).rejects.toThrow(
      /annotators\.ndjson \(email\): ".+" appears twice/,
    );
    expect(await counts(db)).toEqual(before);
  });

  it("refuses an exclusion that clashes with another active one of the same person, then keeps both records", async () => {
    const { db } = database();
    const dir = join(tempDir("archive-identified"), "out");
    await exportDataset(src.db, { slug: SLUG, out: dir, identified: true });
    const w2 = await src.db.user.findFirstOrThrow({ where: { email: { startsWith: "w2@" } } });
    const here = await db.user.create({
      data: { email: w2.email, name: "w2 here", passwordHash: "x", role: "ANNOTATOR" },
    });
    const local = await db.annotatorExclusion.create({
      data: { annotatorId: here.id, reason: "excluded here", createdAt: new Date("2026-10-01T00:00:00Z") },
    });
    const before = await counts(db);
    await expect(restoreArchive(db, { dir })).rejects.toThrow(
      `exclusions.ndjson: ${w2.email} is already excluded in this database (since 2026-10-01T00:00:00.000Z) by another decision than the archive's (2026-11-03T09:00:00.001Z): revoke one of them first; nothing was restored`,
    );
    expect(await counts(db)).toEqual(before);

    await db.annotatorExclusion.update({ where: { id: local.id }, data: { revokedAt: new Date() } });
    const r = await restoreArchive(db, { dir });
    expect(r.added["exclusions.ndjson"]).toBe(2);
    // The account is reused (its name untouched): its own record and the archive's, the archive's active.
    const mine = await db.annotatorExclusion.findMany({
      where: { annotatorId: here.id },
      orderBy: { createdAt: "asc" },
    });
    expect(mine.map((x) => [x.reason, x.revokedAt === null])).toEqual([
      ["excluded here", false],
      ["random keys", true],
    ]);
    expect((await db.user.findUniqueOrThrow({ where: { id: here.id } })).name).toBe("w2 here");
    // Everything else compares equal, people named by email.
    const { AnnotatorExclusion: _a, ...restored } = (await dumpTables(db, "email")).hashes;
    const { AnnotatorExclusion: _b, ...original } = (await dumpTables(src.db, "email")).hashes;
    expect(restored).toEqual(original);
  });
});

describe("version 1 archives (before exclusions, review actions, qualification and the check settings)", () => {
  const database = freshDatabase("concord_archive_v1");

  // A version 1 archive as Concord wrote it: eight files, the dataset record without the new settings.
  const V1_ONLY = [
    "exclusions.ndjson",
    "image-actions.ndjson",
    "qualification-attempts.ndjson",
    "qualification-answers.ndjson",
  ] as const;
  const NEW_SETTINGS = [
    "goldMinAnswers",
    "goldWindow",
    "goldConfidence",
    "guidelines",
    "guideExamples",
    "qualificationSize",
    "qualificationPassMark",
    "qualificationAttempts",
    "stoppingPrior",
  ];
  const v1Archive = () =>
    copyOf("v1", (d) => {
      const m = readManifest(d) as unknown as {
        version: number;
        dataset: Record<string, unknown>;
        files: Record<string, unknown>;
        archiveHash: string;
      };
      m.version = 1;
      for (const f of V1_ONLY) {
        delete m.files[f];
        rmSync(join(d, f));
      }
      for (const k of NEW_SETTINGS) delete m.dataset[k];
      m.archiveHash = archiveHashOf(m as unknown as TManifest);
      writeManifest(d, m);
    });

  it("is restored: what it has compares equal, what it lacks starts empty or at the defaults", async () => {
    const { db } = database();
    const r = await restoreArchive(db, { dir: v1Archive() });
    expect(r).toMatchObject({ alreadyRestored: false, version: 1, notInArchive: [...V1_ONLY] });
    expect(ARCHIVE_FILES.filter((f) => r.added[f] > 0)).toEqual(
      ARCHIVE_FILES.filter((f) => !r.notInArchive.includes(f)),
    );
    const a = await dumpTables(src.db);
    const b = await dumpTables(db);
    for (const table of [
      "Image",
      "Vote",
      "GoldLabel",
      "ImportedTally",
      "DuplicatePair",
      "SoftLabel",
    ] as const)
      expect(b.hashes[table], table).toBe(a.hashes[table]);
    for (const table of [
      "AnnotatorExclusion",
      "ImageAction",
      "QualificationAttempt",
      "QualificationAnswer",
    ] as const)
      expect(b.rows[table], table).toEqual([]);
    const ds = await db.dataset.findUniqueOrThrow({ where: { slug: SLUG } });
    expect(ds).toMatchObject({
      minVotes: 3,
      goldWindow: 20,
      guidelines: "",
      qualificationSize: 0,
      stoppingPrior: "PANEL",
    });
  });

  it("a version 1 manifest edited after the fact is still refused", async () => {
    const { db } = database();
    const dir = v1Archive();
    const m = readManifest(dir) as unknown as { dataset: { minVotes: number } };
    m.dataset.minVotes = 2;
    writeManifest(dir, m);
    await expect(restoreArchive(db, { dir, slug: "arch-v1-edited" })).rejects.toThrow(
      /archive hash does not match/,
    );
  });
});

describe("timestamps written with another UTC offset (the format allows any ISO 8601 offset)", () => {
  const database = freshDatabase("concord_archive_tz");
  // The same instant, written as the wall-clock time at UTC+02:00.
  const plus2 = (iso: string) =>
    new Date(Date.parse(iso) + 2 * 3_600_000).toISOString().replace("Z", "+02:00");
  const shiftFirst = (s: string, field: string) => {
    const [first, ...rest] = s.split("\n");
    const row = JSON.parse(first!) as Record<string, string>;
    return [JSON.stringify({ ...row, [field]: plus2(row[field]!) }), ...rest].join("\n");
  };

  it("restores the same instants as the UTC archive", async () => {
    const { db } = database();
    const dir = copyOf("offset", (d) => {
      rewrite(d, "votes.ndjson", (s) => shiftFirst(s, "createdAt"));
      reseal(d, "votes.ndjson", false);
      // An attempt's start is also the key its answers name it by (they keep the UTC form).
      rewrite(d, "qualification-attempts.ndjson", (s) => shiftFirst(s, "startedAt"));
      reseal(d, "qualification-attempts.ndjson", true);
    });
    expect(readFileSync(join(dir, "votes.ndjson"), "utf8")).toContain("+02:00");
    await restoreArchive(db, { dir });
    const a = await dumpTables(src.db);
    const b = await dumpTables(db);
    for (const table of ["Vote", "QualificationAttempt", "QualificationAnswer"] as const)
      expect(b.rows[table], table).toEqual(a.rows[table]);
  });
});
