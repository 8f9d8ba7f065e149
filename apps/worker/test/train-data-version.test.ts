// A run keeps the data it started with (issue 14 changed the worker's order): the version is recorded when the run
// first loads its data, a run from before versions were recorded resumes from its checkpoint on version 1's data,
// and the trainer itself notices a resume on other data (the checkpoint's digest).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { compareExternalIds } from "@concord/importer/image-order";
import { train } from "@concord/trainer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotLabels } from "../src/jobs/snapshot-labels";
import { runDataVersion } from "../src/jobs/train";
import { loadTrainData, TRAIN_DATA_VERSION, type TTrainDataVersion } from "../src/train-data";
import { createFixture, type TFixture } from "./fixtures";
import { createRun } from "./harness";

let t: TTestDatabase;
let fx: TFixture;
let snapshotId: string;
const tmp = mkdtempSync(join(tmpdir(), "concord-data-version-"));

beforeAll(async () => {
  t = await createTestDatabase("concord_worker_dataver");
  fx = await createFixture(t.db, { TRAIN: 32, VALID: 8, TEST: 8 });
  ({ snapshotId } = await snapshotLabels(t.db, {
    datasetId: fx.datasetId,
    method: "ferplus-crossentropy",
    params: {},
  }));
});
afterAll(async () => {
  await t?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

const load = (version: TTrainDataVersion) =>
  loadTrainData(
    t.db,
    { datasetId: fx.datasetId, snapshotId },
    { scheme: "crossentropy", eps: 1, maxTrainImages: 0, version },
  );

describe("train data versions", () => {
  it("version 1 is the image id order, version 2 the externalId order, of the same rows", async () => {
    const [v1, v2] = [await load(1), await load(2)];
    const rows = await t.db.softLabel.findMany({
      where: { snapshotId, label: { not: null }, image: { split: "TRAIN" } },
      select: { imageId: true },
      orderBy: { imageId: "asc" },
    });
    expect(v1.trainIds).toEqual(rows.map((r) => r.imageId));
    const images = await t.db.image.findMany({ where: { datasetId: fx.datasetId } });
    const ext = new Map(images.map((i) => [i.id, i.externalId]));
    const names = v2.trainIds.map((id) => ext.get(id)!);
    expect(names).toEqual([...names].sort(compareExternalIds));
    // The fixture's "img10" sorts before "img2": the two orders differ, the rows do not.
    expect(v2.trainIds).not.toEqual(v1.trainIds);
    const rowOf = (d: typeof v1, id: string) => {
      const i = d.trainIds.indexOf(id);
      return [d.data.train.labels[i], ...d.data.train.targets.subarray(i * 8, i * 8 + 8)];
    };
    for (const id of v1.trainIds) expect(rowOf(v2, id)).toEqual(rowOf(v1, id));
  });

  it("a new run records the current version; a run from before with a checkpoint resumes on version 1", async () => {
    const fresh = await createRun(t.db, fx.datasetId, {});
    expect(fresh.trainDataVersion).toBeNull();
    expect(await runDataVersion(t.db, fresh, join(tmp, "none"))).toBe(TRAIN_DATA_VERSION);
    const after = await t.db.trainingRun.findUniqueOrThrow({ where: { id: fresh.id } });
    expect(after.trainDataVersion).toBe(TRAIN_DATA_VERSION);

    // A run that trained an epoch before versions were recorded: its checkpoint is of version 1's data.
    const v1 = await load(1);
    const checkpoint = join(tmp, "old-run");
    const cfg = { model: "fast-lite" as const, epochs: 1, batchSize: 16, seed: 3 };
    (await train(v1.data, cfg, { checkpointDir: checkpoint })).model.dispose();
    const old = await createRun(t.db, fx.datasetId, {});
    expect(await runDataVersion(t.db, old, checkpoint)).toBe(1);
    const recorded = await t.db.trainingRun.findUniqueOrThrow({ where: { id: old.id } });
    expect(recorded.trainDataVersion).toBe(1);
    // Recorded: later attempts read it, checkpoint or not.
    expect(await runDataVersion(t.db, recorded, join(tmp, "none"))).toBe(1);
    await expect(runDataVersion(t.db, { id: old.id, trainDataVersion: 99 }, checkpoint)).rejects.toThrow(
      /train data version 99 is unknown/,
    );

    // The trainer checks the data against the checkpoint's digest: version 1's data resumes quietly, the
    // current version's (another order) is named in the log.
    for (const [version, warned] of [
      [1, false],
      [2, true],
    ] as const) {
      const lines: string[] = [];
      const { data } = await load(version);
      const r = await train(data, cfg, {
        checkpointDir: checkpoint,
        resume: true,
        log: (l) => lines.push(l),
      });
      r.model.dispose();
      expect(lines.some((l) => l.includes("resumed from"))).toBe(true);
      expect(lines.some((l) => l.includes("resuming on other training data"))).toBe(warned);
    }
  });
});
