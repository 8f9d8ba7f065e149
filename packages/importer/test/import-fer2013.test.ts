import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importDataset } from "../src/import";
import { decodePng48 } from "../src/pixels";
import { FER2013_EMOTIONS, FERPLUS_LABELS } from "../src/taxonomy";
import { ferplusPng, ferplusRows, HAS_FERPLUS, tempDir } from "./helpers";

const USAGES = ["Training", "PublicTest", "PrivateTest"];

// Kaggle-style fer2013.csv (+ FER+'s fer2013new.csv) written from real FER+ PNGs: row k has emotion k % 7 and
// usage by k % 3; FER+ votes are the real label.csv counts, except rows 4 and 9 which FER+ "dropped".
function buildCsvs(n: number) {
  const dir = tempDir("fer2013");
  const rows = ferplusRows("FER2013Train", n);
  const main = ["emotion,pixels,Usage"];
  const votes = [
    "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF",
  ];
  rows.forEach((r, k) => {
    const px = decodePng48(ferplusPng(r))!.pixels;
    main.push(`${k % 7},${Array.from(px).join(" ")},${USAGES[k % 3]}`);
    const dropped = k === 4 || k === 9;
    votes.push(
      `${USAGES[k % 3]},${dropped ? "" : r.file},${(dropped ? new Array(10).fill(0) : r.counts).join(",")}`,
    );
  });
  return { dir, rows, main, votes };
}

describe.skipIf(!HAS_FERPLUS)("fer2013.csv import (built from ../shared/datasets/ferplus)", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("imp_fer2013");
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("alone: 7 single labels as one-vote tallies, Usage -> split, idempotent", async () => {
    const { dir, rows, main } = buildCsvs(21);
    writeFileSync(join(dir, "fer2013.csv"), `${main.join("\n")}\n`);
    const r = await importDataset(t.db, { datasetSlug: "k", path: dir });
    expect(r.layout).toBe("fer2013");
    expect(r.rejected).toEqual([]);
    expect(r.added).toBe(21);
    const img = await t.db.image.findFirstOrThrow({
      where: { externalId: "fer0000005" },
      include: { tallies: true },
    });
    expect(img.split).toBe("TEST"); // row 5: 5 % 3 = 2 -> PrivateTest
    const expected = FERPLUS_LABELS.map((l) => (l === FER2013_EMOTIONS[5] ? 1 : 0));
    expect(img.tallies).toEqual([expect.objectContaining({ source: "fer2013", counts: expected })]);
    expect(Buffer.from(img.pixels)).toEqual(Buffer.from(decodePng48(ferplusPng(rows[5]!))!.pixels));
    // The CSV file itself can be given as the path.
    const again = await importDataset(t.db, { datasetSlug: "k", path: join(dir, "fer2013.csv") });
    expect([again.added, again.skipped]).toEqual([0, 21]);
  });

  it("with fer2013new.csv: FER+ votes, FER+ names, dropped rows skipped and counted", async () => {
    const { dir, rows, main, votes } = buildCsvs(12);
    writeFileSync(join(dir, "fer2013.csv"), `${main.join("\n")}\n`);
    writeFileSync(join(dir, "fer2013new.csv"), `${votes.join("\n")}\n`);
    const r = await importDataset(t.db, { datasetSlug: "kplus", path: dir });
    expect(r.rejected).toEqual([]);
    expect(r.unvotedSkipped).toBe(2);
    expect(r.added).toBe(10);
    const id = rows[7]!.file.replace(".png", "");
    const img = await t.db.image.findFirstOrThrow({
      where: { externalId: id, dataset: { slug: "kplus" } },
      include: { tallies: true },
    });
    expect(img.tallies).toEqual([expect.objectContaining({ source: "ferplus", counts: rows[7]!.counts })]);
  });

  it("reports unknown labels, malformed rows and negative counts by file and line; strict commits nothing", async () => {
    const { dir, main, votes } = buildCsvs(8);
    main[2] = main[2]!.replace(/^\d/, "9"); // line 3: emotion 9
    main[3] = main[3]!.replace(/ \d+,/, ","); // line 4: 2,303 pixels
    main[4] = `${main[4]},extra`; // line 5: 4 fields
    votes[6] = votes[6]!.replace(/,[^,]*$/, ",-1"); // line 7: negative NF count
    writeFileSync(join(dir, "fer2013.csv"), `${main.join("\n")}\n`);
    writeFileSync(join(dir, "fer2013new.csv"), `${votes.join("\n")}\n`);

    const strict = await importDataset(t.db, { datasetSlug: "kbad", path: dir, strict: true });
    expect(strict.aborted).toBe(true);
    expect(await t.db.image.count({ where: { dataset: { slug: "kbad" } } })).toBe(0);

    const r = await importDataset(t.db, { datasetSlug: "kbad", path: dir });
    expect(r.rejected).toEqual([
      { file: "fer2013.csv", line: 3, reason: 'unknown label "9" (0-6 expected)' },
      { file: "fer2013.csv", line: 4, reason: "malformed row: expected 2304 pixel values, got 2303" },
      { file: "fer2013.csv", line: 5, reason: "malformed row: 3 fields expected" },
      { file: "fer2013new.csv", line: 7, reason: "negative count -1 in column 10 of the counts" },
    ]);
    // Rows 4 and 9 (0-based) of buildCsvs are FER+-dropped; of 8 rows: 4 rejected, 1 unvoted, 3 added.
    expect(r.unvotedSkipped).toBe(1);
    expect(r.added).toBe(3);
  });
});
