import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawFace } from "../src/demo/faces";
import { createRng } from "../src/demo/rng";
import { importDataset } from "../src/import";
import { listDuplicates } from "../src/leaks";
import { encodePng48 } from "../src/pixels";
import { UNUSABLE_PASSWORD_HASH } from "../src/write";
import { tempDir } from "./helpers";

// Generated images of several formats and sizes, a votes.csv in the crowd-library convention and a gold.csv.
async function buildFolder() {
  const dir = tempDir("generic");
  mkdirSync(join(dir, "train"));
  mkdirSync(join(dir, "test"));
  const rng = createRng(5);
  const gradient = Buffer.alloc(120 * 90 * 3);
  for (let i = 0; i < 120 * 90; i++) gradient.set([i % 120, 2 * (i % 120), 90], i * 3);
  await sharp(gradient, { raw: { width: 120, height: 90, channels: 3 } })
    .jpeg()
    .toFile(join(dir, "train", "wide.jpg"));
  await sharp(Buffer.alloc(64 * 64 * 4, 128), { raw: { width: 64, height: 64, channels: 4 } })
    .png()
    .toFile(join(dir, "train", "rgba.png"));
  writeFileSync(join(dir, "train", "face1.png"), encodePng48(drawFace("surprise", rng)));
  writeFileSync(join(dir, "test", "face2.png"), encodePng48(drawFace("anger", rng)));
  writeFileSync(join(dir, "top.png"), encodePng48(drawFace("sadness", rng)));
  const good = encodePng48(drawFace("fear", rng));
  writeFileSync(join(dir, "train", "broken.png"), good.subarray(0, 40));
  writeFileSync(
    join(dir, "votes.csv"),
    [
      "task,worker,label",
      "face1,w1,surprise",
      "face1,w2,fear",
      "face1.png,w3,2", // file name as task, label as index
      "face2,w1,angry", // alias
      "face2,w2,joy", // line 6: unknown label
      "nosuch,w1,happiness", // line 7: unknown task
      "face2,w1", // line 8: malformed
      "face1,w1,neutral", // line 9: second vote of w1 on face1 (keep-last by default: replaces line 2)
      "wide,W-4,neutral",
    ].join("\n"),
  );
  writeFileSync(join(dir, "gold.csv"), "task,label\nface1,surprise\nface2,rage\n");
  return dir;
}

describe("generic folder import", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("imp_generic");
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("converts any image to 48x48 gray, imports votes with annotator accounts and gold, lists bad rows", async () => {
    const dir = await buildFolder();
    const strict = await importDataset(t.db, { datasetSlug: "g", path: dir, strict: true });
    expect(strict.aborted).toBe(true);
    expect(await t.db.user.count()).toBe(0);
    expect(await t.db.image.count()).toBe(0);

    const r = await importDataset(t.db, { datasetSlug: "g", path: dir });
    expect(r.layout).toBe("generic");
    expect(r.rejected).toEqual([
      { file: "votes.csv", line: 6, reason: 'unknown label "joy"' },
      { file: "votes.csv", line: 7, reason: 'unknown task "nosuch" (no such image)' },
      { file: "votes.csv", line: 8, reason: "malformed row: expected task,worker,label" },
      { file: "gold.csv", line: 3, reason: 'unknown label "rage"' },
      { file: "train/broken.png", reason: expect.stringMatching(/^corrupt image/) },
    ]);
    expect(r.added).toBe(5);
    expect(r.duplicateVotes).toMatchObject({
      policy: "keep-last",
      repeated: 1,
      changed: 1,
      pairs: 1,
      dropped: 1,
    });

    const images = await t.db.image.findMany({
      orderBy: { externalId: "asc" },
      include: { votes: { include: { annotator: true } }, gold: true },
    });
    expect(images.map((i) => [i.externalId, i.split])).toEqual([
      ["face1", "TRAIN"],
      ["face2", "TEST"],
      ["rgba", "TRAIN"],
      ["top", "TRAIN"],
      ["wide", "TRAIN"],
    ]);
    for (const i of images) expect(i.pixels.length).toBe(2304);
    const byId = Object.fromEntries(images.map((i) => [i.externalId, i]));
    expect(byId.wide!.conversion).toBe("jpeg 120x90 rgb -> gray, cover 48x48");
    expect(byId.rgba!.conversion).toBe("png 64x64 rgb -> gray, cover 48x48");
    expect(byId.face1!.conversion).toBeNull();
    expect(byId.face1!.votes.map((v) => `${v.annotator.email}:${v.label}`).sort()).toEqual([
      "w1@g.import:neutral",
      "w2@g.import:fear",
      "w3@g.import:surprise",
    ]);
    expect(byId.face2!.votes.map((v) => v.label)).toEqual(["anger"]);
    expect(byId.face1!.gold?.label).toBe("surprise");
    expect(byId.face2!.gold).toBeNull();
    // The bulk inserts kept the per-image tallies (triggers on Vote, Image, GoldLabel) equal to the rows.
    const tallies = await t.db.imageTally.findMany({ include: { image: { select: { externalId: true } } } });
    expect(
      Object.fromEntries(tallies.map((x) => [x.image.externalId, [x.votes, x.counts, x.gold, x.done]])),
    ).toEqual({
      face1: [3, { surprise: 1, fear: 1, neutral: 1 }, true, false],
      face2: [1, { anger: 1 }, false, false],
      rgba: [0, {}, false, false],
      top: [0, {}, false, false],
      wide: [1, { neutral: 1 }, false, false],
    });

    const users = await t.db.user.findMany({ orderBy: { email: "asc" } });
    expect(users.map((u) => [u.email, u.role, u.passwordHash])).toEqual(
      ["w-4", "w1", "w2", "w3"].map((w) => [`${w}@g.import`, "ANNOTATOR", UNUSABLE_PASSWORD_HASH]),
    );

    const again = await importDataset(t.db, { datasetSlug: "g", path: dir });
    expect([again.added, again.skipped]).toEqual([0, 5]);
    expect(await t.db.vote.count()).toBe(5);
    expect(await t.db.goldLabel.count()).toBe(1);
  });

  it("treats repeated worker/task votes by policy: keep-first, keep-last, or error (rejected rows)", async () => {
    const dir = tempDir("repeats");
    writeFileSync(join(dir, "f1.png"), encodePng48(drawFace("fear", createRng(8))));
    // w1 answers f1 three times: fear, anger, fear.
    writeFileSync(
      join(dir, "votes.csv"),
      "task,worker,label\nf1,w1,fear\nf1,w2,fear\nf1,w1,anger\nf1.png,w1,fear\n",
    );
    const votesOf = async (slug: string) =>
      (await t.db.vote.findMany({ where: { image: { dataset: { slug } } }, include: { annotator: true } }))
        .map((v) => `${v.annotator.email.split("@")[0]}:${v.label}`)
        .sort();
    const first = await importDataset(t.db, {
      datasetSlug: "rep-first",
      path: dir,
      duplicates: "keep-first",
    });
    expect(first.rejected).toEqual([]);
    expect(first.duplicateVotes).toMatchObject({ repeated: 2, pairs: 1, changed: 2, dropped: 2 });
    expect(await votesOf("rep-first")).toEqual(["w1:fear", "w2:fear"]);
    await importDataset(t.db, { datasetSlug: "rep-last", path: dir });
    expect(await votesOf("rep-last")).toEqual(["w1:fear", "w2:fear"]);
    const strict = await importDataset(t.db, {
      datasetSlug: "rep-err",
      path: dir,
      duplicates: "error",
      strict: true,
    });
    expect(strict.aborted).toBe(true);
    expect(strict.rejected).toEqual([
      { file: "votes.csv", line: 4, reason: 'duplicate vote of worker "w1" on "f1"' },
      { file: "votes.csv", line: 5, reason: 'duplicate vote of worker "w1" on "f1"' },
    ]);
    expect(await t.db.dataset.count({ where: { slug: "rep-err" } })).toBe(0);
    // keep-all would need two votes of one annotator on one image, which the database does not hold.
    await expect(
      importDataset(t.db, { datasetSlug: "rep-all", path: dir, duplicates: "keep-all" as "error" }),
    ).rejects.toThrow(/keep-last/);
  });

  it("refuses a missing path and a bad slug before touching the database", async () => {
    await expect(importDataset(t.db, { datasetSlug: "x", path: "/no/such/folder" })).rejects.toThrow(
      /missing file: \/no\/such\/folder/,
    );
    await expect(importDataset(t.db, { datasetSlug: "Bad Slug", path: "/tmp" })).rejects.toThrow(/lowercase/);
    expect(await t.db.dataset.count({ where: { slug: "x" } })).toBe(0);
    await expect(
      importDataset(t.db, { datasetSlug: "x", path: tempDir("empty"), layout: "fer2013" }),
    ).rejects.toThrow(/missing file: no fer2013.csv/);
  });

  it("finds crafted exact and near duplicates across and within splits, and nothing between different faces", async () => {
    const dir = tempDir("dups");
    for (const d of ["train", "valid", "test"]) mkdirSync(join(dir, d));
    const rng = createRng(21);
    const [a, b, c] = [drawFace("fear", rng), drawFace("neutral", rng), drawFace("contempt", rng)];
    const brighter = a.map((v) => Math.min(255, v + 10));
    writeFileSync(join(dir, "train", "a.png"), encodePng48(a));
    writeFileSync(join(dir, "train", "a-again.png"), encodePng48(a)); // exact, within train
    writeFileSync(join(dir, "valid", "a-copy.png"), encodePng48(a)); // exact, valid -> train
    writeFileSync(join(dir, "test", "a-bright.png"), encodePng48(brighter)); // near, test -> train
    writeFileSync(join(dir, "train", "b.png"), encodePng48(b));
    writeFileSync(join(dir, "test", "c.png"), encodePng48(c));
    const r = await importDataset(t.db, { datasetSlug: "dups", path: dir });
    expect(r.added).toBe(6);
    // a, a-again, a-copy: 3 exact pairs; a-bright against each of them: 3 near pairs.
    expect(r.duplicates).toMatchObject({
      exactPairs: 3,
      nearPairs: 3,
      validWithTrainTwin: { exact: 1, near: 1 },
      testWithTrainTwin: { exact: 0, near: 1 },
      withinSplit: { train: 2, valid: 0, test: 0 },
    });
    const pairs = await listDuplicates(t.db, "dups");
    const ids = new Set(pairs.flatMap((p) => [p.a.externalId, p.b.externalId]));
    expect(ids).toEqual(new Set(["a", "a-again", "a-copy", "a-bright"]));
    // A uniform brightness change leaves the DCT pattern (almost) alone: near pairs may sit at distance 0.
    expect(
      pairs
        .filter((p) => p.kind === "NEAR")
        .map((p) => p.b.externalId === "a-bright" || p.a.externalId === "a-bright"),
    ).toEqual([true, true, true]);
    expect(pairs.every((p) => p.distance <= 6)).toBe(true);
  });

  it("reports a FER+ split folder without its label.csv as a missing file", async () => {
    const dir = tempDir("nolabels");
    mkdirSync(join(dir, "FER2013Valid"));
    writeFileSync(join(dir, "FER2013Valid", "a.png"), encodePng48(new Uint8Array(2304)));
    const r = await importDataset(t.db, { datasetSlug: "nolabels", path: dir, layout: "ferplus" });
    expect(r.rejected).toEqual([{ file: "FER2013Valid/label.csv", reason: "missing file label.csv" }]);
    expect(r.added).toBe(0);
  });
});
