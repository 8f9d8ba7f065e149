import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TDb } from "@concord/db";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportDataset } from "../src/archive/export";
import { archiveHashOf, MANIFEST, type TManifest } from "../src/archive/format";
import { restoreArchive } from "../src/archive/restore";
import { drawFace } from "../src/demo/faces";
import { createRng } from "../src/demo/rng";
import { importDataset } from "../src/import";
import { encodePng48 } from "../src/pixels";
import { tempDir } from "./helpers";

let src: TTestDatabase;
let dst: TTestDatabase;
let archive: string;
const SLUG = "arch";

// A generic folder with an exact duplicate (a leak-guard pair), identified votes and gold; then what the web
// and the worker add: a vote with duration and request id, an imported tally and a snapshot whose statistics
// are keyed by annotator.
async function seed(db: TDb) {
  const dir = tempDir("archive-src");
  mkdirSync(join(dir, "train"));
  mkdirSync(join(dir, "valid"));
  const rng = createRng(3);
  const faces = ["happiness", "fear", "surprise", "anger", "sadness"] as const;
  for (const [k, e] of faces.entries())
    writeFileSync(join(dir, "train", `f${k}.png`), encodePng48(drawFace(e, rng)));
  writeFileSync(join(dir, "valid", "twin.png"), readFileSync(join(dir, "train", "f0.png")));
  writeFileSync(
    join(dir, "votes.csv"),
    [
      "task,worker,label",
      "f0,w1,happiness",
      "f0,w2,happiness",
      "f1,w1,fear",
      "f1,w2,surprise",
      "f2,w3,2",
    ].join("\n"),
  );
  writeFileSync(join(dir, "gold.csv"), "task,label\nf3,anger\n");
  const r = await importDataset(db, { datasetSlug: SLUG, path: dir, layout: "generic" });
  expect(r.added).toBe(6);
  const ds = await db.dataset.findUniqueOrThrow({ where: { slug: SLUG } });
  await db.dataset.update({ where: { id: ds.id }, data: { minVotes: 3, goldMinAccuracy: 0.7 } });
  const img = (ext: string) => db.image.findFirstOrThrow({ where: { datasetId: ds.id, externalId: ext } });
  const admin = await db.user.create({
    data: { email: "admin@example.org", name: "Ada Admin", passwordHash: "x", role: "ADMIN" },
  });
  const w1 = await db.user.findFirstOrThrow({ where: { email: { startsWith: "w1@" } } });
  await db.vote.create({
    data: {
      imageId: (await img("f4")).id,
      annotatorId: admin.id,
      label: "sadness",
      durationMs: 812,
      requestId: "req-0001",
      createdAt: new Date("2026-11-02T10:11:12.345Z"),
    },
  });
  await db.importedTally.create({
    data: { imageId: (await img("f2")).id, source: "crowd-x", counts: [0, 1, 3, 0, 0, 0, 0, 0, 1, 0] },
  });
  const snap = await db.labelSnapshot.create({
    data: {
      datasetId: ds.id,
      method: "ds",
      params: { smoothing: 0.01 },
      contentHash: "c0ffee",
      stats: { items: 2, workerSkill: { [w1.id]: 0.8, [admin.id]: 0.6 } },
      createdById: admin.id,
    },
  });
  const probs = Array.from({ length: 10 }, (_, k) => (k === 1 ? 0.9 : 0.1 / 9));
  await db.softLabel.create({
    data: { snapshotId: snap.id, imageId: (await img("f0")).id, probs, label: "happiness", votes: 2 },
  });
}

async function counts(db: TDb) {
  const where = { image: { dataset: { slug: SLUG } } };
  return {
    images: await db.image.count({ where: { dataset: { slug: SLUG } } }),
    votes: await db.vote.count({ where }),
    gold: await db.goldLabel.count({ where }),
    tallies: await db.importedTally.count({ where }),
    softLabels: await db.softLabel.count({ where }),
    snapshots: await db.labelSnapshot.count({ where: { dataset: { slug: SLUG } } }),
    pairs: await db.duplicatePair.count({ where: { dataset: { slug: SLUG } } }),
    datasets: await db.dataset.count(),
    users: await db.user.count(),
  };
}

// The per-image tally the triggers keep (derived, so it is not in the archive): equal after a restore.
async function tallies(db: TDb) {
  const rows = await db.imageTally.findMany({
    where: { image: { dataset: { slug: SLUG } } },
    select: { votes: true, counts: true, gold: true, done: true, image: { select: { externalId: true } } },
  });
  return rows.map((r) => ({ ...r, image: r.image.externalId })).sort((a, b) => (a.image < b.image ? -1 : 1));
}

const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as TManifest;

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
  it("writes every row people made, annotators pseudonymous by default", () => {
    const m = readManifest(archive);
    expect(m.dataset).toMatchObject({ slug: SLUG, minVotes: 3, goldMinAccuracy: 0.7 });
    expect(Object.fromEntries(Object.entries(m.files).map(([k, f]) => [k, f.rows]))).toEqual({
      "annotators.ndjson": 4,
      "images.ndjson": 6,
      "tallies.ndjson": 1,
      "votes.ndjson": 6,
      "gold.ndjson": 1,
      "duplicates.ndjson": 1,
      "snapshots.ndjson": 1,
      "soft-labels.ndjson": 1,
    });
    const annotators = readFileSync(join(archive, "annotators.ndjson"), "utf8");
    expect(annotators).not.toContain("@");
    expect(annotators).not.toContain("Ada");
    const votes = readFileSync(join(archive, "votes.ndjson"), "utf8");
    expect(votes).toContain('"durationMs":812,"requestId":"req-0001"');
    expect(votes).toContain("2026-11-02T10:11:12.345Z");
  });

  it("restores into a fresh database: every row compares equal (counts, tallies and the content hash)", async () => {
    const r = await restoreArchive(dst.db, { dir: archive });
    expect(r.alreadyRestored).toBe(false);
    const m = readManifest(archive);
    for (const [name, f] of Object.entries(m.files))
      expect(r.added[name as keyof typeof r.added]).toBe(f.rows);
    const a = await counts(src.db);
    const b = await counts(dst.db);
    expect({ ...b, users: 0 }).toEqual({ ...a, users: 0 });
    expect(await tallies(dst.db)).toEqual(await tallies(src.db));
    // Export the restored dataset: the same files, so the same archive hash.
    const again = join(tempDir("archive-again"), "out");
    const { manifest } = await exportDataset(dst.db, { slug: SLUG, out: again });
    expect(manifest.files).toEqual(m.files);
    expect(manifest.archiveHash).toBe(m.archiveHash);
    // Snapshot statistics point at the restored annotators.
    const snap = await dst.db.labelSnapshot.findFirstOrThrow({ include: { createdBy: true } });
    const skill = (snap.stats as { workerSkill: Record<string, number> }).workerSkill;
    const ids = new Set((await dst.db.user.findMany({ select: { id: true } })).map((u) => u.id));
    expect(Object.keys(skill).every((id) => ids.has(id))).toBe(true);
    expect(snap.createdBy?.role).toBe("ADMIN");
    expect(snap.createdBy?.passwordHash).toMatch(/^!/); // a restored account cannot sign in
  });

  it("adds nothing when the same archive is restored twice", async () => {
    const before = await counts(dst.db);
    const r = await restoreArchive(dst.db, { dir: archive });
    expect(r.alreadyRestored).toBe(true);
    expect(await counts(dst.db)).toEqual(before);
  });

  it("refuses a tampered or truncated archive with a clear error and changes nothing", async () => {
    const before = await counts(dst.db);
    const variant = (name: string, edit: (dir: string) => void) => {
      const dir = join(tempDir(`archive-${name}`), "a");
      cpSync(archive, dir, { recursive: true });
      edit(dir);
      return dir;
    };
    const rewrite = (dir: string, file: string, fn: (s: string) => string) =>
      writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), "utf8")));
    // A careful forger updates the file's manifest entry (and maybe the archive hash) too.
    const reseal = (dir: string, file: "gold.ndjson" | "votes.ndjson", archiveHash: boolean) => {
      const m = readManifest(dir);
      const text = readFileSync(join(dir, file), "utf8");
      m.files[file].sha256 = createHash("sha256").update(text).digest("hex");
      if (archiveHash) m.archiveHash = archiveHashOf(m.dataset, m.files);
      writeFileSync(join(dir, MANIFEST), JSON.stringify(m));
    };
    const cases: [string, string, RegExp][] = [
      [
        "duration",
        variant("duration", (d) =>
          rewrite(d, "votes.ndjson", (s) => s.replace('"durationMs":812', '"durationMs":813')),
        ),
        /votes\.ndjson: sha256 differs/,
      ],
      [
        "truncated",
        variant("truncated", (d) => rewrite(d, "images.ndjson", (s) => s.slice(0, Math.floor(s.length / 2)))),
        /images\.ndjson:.*(truncated|not valid JSON)/,
      ],
      [
        "manifest",
        variant("manifest", (d) => {
          rewrite(d, "gold.ndjson", (s) => s.replace('"anger"', '"fear"'));
          reseal(d, "gold.ndjson", false);
        }),
        /archive hash does not match/,
      ],
      [
        "no manifest",
        variant("nomanifest", (d) => writeFileSync(join(d, MANIFEST), "")),
        /manifest\.json: not valid JSON/,
      ],
      [
        "dangling vote",
        variant("dangling", (d) => {
          rewrite(d, "votes.ndjson", (s) => s.replace('"image":"f1"', '"image":"f9"'));
          reseal(d, "votes.ndjson", true);
        }),
        /votes\.ndjson: image "f9" is not in images\.ndjson/,
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
      /votes\.ndjson: 5 of 6 rows could be written/,
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
