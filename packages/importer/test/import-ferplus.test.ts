import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importDataset } from "../src/import";
import { leakReport, listDuplicates } from "../src/leaks";
import { decodePng48, encodePng48 } from "../src/pixels";
import { ferplusPng, ferplusRows, HAS_FERPLUS, tempDir } from "./helpers";

// A small FER+ folder built from real FER+ files, plus planted leaks: an exact copy of a train face in valid, and
// a brightened copy (a near duplicate).
function buildFolder(extraValid: string[] = []) {
  const dir = tempDir("ferplus");
  const train = ferplusRows("FER2013Train", 30);
  const valid = ferplusRows("FER2013Valid", 10);
  for (const [split, rows, extra] of [
    ["FER2013Train", train, []],
    ["FER2013Valid", valid, extraValid],
  ] as const) {
    mkdirSync(join(dir, split));
    for (const r of rows) writeFileSync(join(dir, split, r.file), ferplusPng(r));
    writeFileSync(join(dir, split, "label.csv"), `${[...rows.map((r) => r.line), ...extra].join("\n")}\n`);
  }
  const copyOf = train[3]!;
  writeFileSync(join(dir, "FER2013Valid", "leak-exact.png"), ferplusPng(copyOf));
  const px = decodePng48(ferplusPng(train[5]!))!.pixels.map((v) => Math.min(255, v + 6));
  writeFileSync(join(dir, "FER2013Valid", "leak-near.png"), encodePng48(px));
  return { dir, train, valid };
}

const leakRows = [
  'leak-exact.png,"(0, 0, 48, 48)",10,0,0,0,0,0,0,0,0,0',
  'leak-near.png,"(0, 0, 48, 48)",0,10,0,0,0,0,0,0,0,0',
];

describe.skipIf(!HAS_FERPLUS)("FER+ folder import (needs ../shared/datasets/ferplus)", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("imp_ferplus");
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("imports faces with their tallies, finds the planted leaks, and is idempotent", async () => {
    const { dir, train, valid } = buildFolder(leakRows);
    const r = await importDataset(t.db, { datasetSlug: "fp", path: dir });
    expect(r.layout).toBe("ferplus");
    expect(r.rejected).toEqual([]);
    expect(r.added).toBe(train.length + valid.length + 2);
    expect(r.imagesPerSec).toBeGreaterThan(0);

    const img = await t.db.image.findUniqueOrThrow({
      where: {
        datasetId_externalId: { datasetId: r.datasetId!, externalId: train[0]!.file.replace(".png", "") },
      },
      include: { tallies: true },
    });
    expect(img.split).toBe("TRAIN");
    expect(img.pixels.length).toBe(2304);
    expect(img.conversion).toBeNull();
    expect(img.tallies).toEqual([expect.objectContaining({ source: "ferplus", counts: train[0]!.counts })]);
    expect(await t.db.image.count({ where: { split: "VALID" } })).toBe(valid.length + 2);

    expect(r.duplicates!.validWithTrainTwin.exact).toBeGreaterThanOrEqual(1);
    expect(r.duplicates!.validWithTrainTwin.near).toBeGreaterThanOrEqual(2);
    const pairs = await listDuplicates(t.db, "fp", { crossSplitOnly: true });
    const names = pairs.map((p) => [p.kind, [p.a.externalId, p.b.externalId].sort().join("~")].join(" "));
    expect(names).toContain(`EXACT ${[train[3]!.file.replace(".png", ""), "leak-exact"].sort().join("~")}`);
    expect(names).toContain(`NEAR ${[train[5]!.file.replace(".png", ""), "leak-near"].sort().join("~")}`);
    expect(await leakReport(t.db, "fp")).toEqual(r.duplicates);

    const again = await importDataset(t.db, { datasetSlug: "fp", path: dir });
    expect(again.added).toBe(0);
    expect(again.skipped).toBe(r.added);
    expect(await t.db.image.count()).toBe(r.added);
    expect(await t.db.importedTally.count()).toBe(r.added);
    expect(await t.db.duplicatePair.count()).toBe(r.duplicates!.exactPairs + r.duplicates!.nearPairs);
  });

  it("reports every bad row with file and line, commits the good ones, and strict mode commits nothing", async () => {
    const { dir, train } = buildFolder([
      'missing.png,"(0, 0, 48, 48)",10,0,0,0,0,0,0,0,0,0',
      'truncated.png,"(0, 0, 48, 48)",10,0,0,0,0,0,0,0,0,0',
      'corrupt.png,"(0, 0, 48, 48)",10,0,0,0,0,0,0,0,0,0',
      'neg.png,"(0, 0, 48, 48)",10,0,-2,0,0,0,0,0,0,0',
      "short.png,1,2,3",
      'zero.png,"(0, 0, 48, 48)",0,0,0,0,0,0,0,0,0,0',
    ]);
    const good = ferplusPng(train[0]!);
    writeFileSync(join(dir, "FER2013Valid", "truncated.png"), good.subarray(0, Math.floor(good.length / 2)));
    const bad = Buffer.from(good);
    bad[bad.length - 20]! ^= 0xff; // flip bits inside the IDAT/IEND data: CRC or zlib error
    writeFileSync(join(dir, "FER2013Valid", "corrupt.png"), bad);
    for (const f of ["neg.png", "short.png", "zero.png"]) writeFileSync(join(dir, "FER2013Valid", f), good);

    const strict = await importDataset(t.db, { datasetSlug: "fp-strict", path: dir, strict: true });
    expect(strict.aborted).toBe(true);
    expect(strict.added).toBe(0);
    expect(await t.db.dataset.findUnique({ where: { slug: "fp-strict" } })).toBeNull();

    const r = await importDataset(t.db, { datasetSlug: "fp-lenient", path: dir });
    const byFile = Object.fromEntries(r.rejected.map((x) => [x.file, x]));
    expect(byFile["FER2013Valid/missing.png"]).toMatchObject({ line: 11, reason: "missing file" });
    expect(byFile["FER2013Valid/truncated.png"]).toMatchObject({
      line: 12,
      reason: expect.stringMatching(/corrupt PNG/),
    });
    expect(byFile["FER2013Valid/corrupt.png"]).toMatchObject({
      line: 13,
      reason: expect.stringMatching(/corrupt PNG/),
    });
    const csvRejects = r.rejected.filter((x) => x.file === "FER2013Valid/label.csv");
    expect(csvRejects).toEqual([
      { file: "FER2013Valid/label.csv", line: 14, reason: "negative count -2 in column 3 of the counts" },
      {
        file: "FER2013Valid/label.csv",
        line: 15,
        reason: expect.stringMatching(/malformed row: expected 12 fields/),
      },
    ]);
    expect(r.rejected).toHaveLength(5);
    expect(r.unvotedSkipped).toBe(1);
    expect(r.added).toBe(40);
    const batch = await t.db.importBatch.findFirstOrThrow({ where: { dataset: { slug: "fp-lenient" } } });
    expect(batch.added).toBe(40);
    expect(batch.rejected).toHaveLength(5);
  });

  it("converts a 48x48 RGB PNG to gray and records the conversion", async () => {
    const dir = tempDir("ferplus-rgb");
    mkdirSync(join(dir, "FER2013Test"));
    const png = new PNG({ width: 48, height: 48 });
    for (let i = 0; i < 48 * 48; i++) png.data.set([200, 100, 50, 255], i * 4);
    writeFileSync(join(dir, "FER2013Test", "rgb.png"), PNG.sync.write(png));
    writeFileSync(join(dir, "FER2013Test", "label.csv"), 'rgb.png,"(0, 0, 48, 48)",1,0,0,0,0,0,0,0,0,0\n');
    const r = await importDataset(t.db, { datasetSlug: "fp-rgb", path: dir });
    expect(r.added).toBe(1);
    const img = await t.db.image.findFirstOrThrow({ where: { dataset: { slug: "fp-rgb" } } });
    expect(img.split).toBe("TEST");
    expect(img.conversion).toMatch(/rgb -> gray/);
    expect(img.pixels[0]).toBe(Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50));
  });
});
