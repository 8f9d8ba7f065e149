// Issue 14: an Evaluation row carries the split whole and without its train twins, with n of each. Planted
// twins (VALID: 2 exact copies of TRAIN faces + 1 near; TEST: 1 exact) through the evaluate job, in process.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FERPLUS_EMOTIONS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { buildModel, evaluate, initBackend, saveModel, subsetImages } from "@concord/trainer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "../src/env";
import { evaluateRun } from "../src/jobs/evaluate";
import { runDir } from "../src/jobs/train";
import { loadMajoritySplits } from "../src/train-data";
import { createFixture, type TFixture } from "./fixtures";
import { createRun } from "./harness";

let t: TTestDatabase;
let fx: TFixture;
let artifacts: string;
const classes = [...FERPLUS_EMOTIONS];

beforeAll(async () => {
  t = await createTestDatabase("concord_worker_twins");
  fx = await createFixture(t.db, { TRAIN: 16, VALID: 8, TEST: 4 }, 3, {
    VALID: { exact: 2, near: 1 },
    TEST: { exact: 1, near: 0 },
  });
  artifacts = mkdtempSync(join(tmpdir(), "concord-twins-"));
  await initBackend("wasm", { quiet: true });
});
afterAll(async () => {
  await t?.drop();
  if (artifacts) rmSync(artifacts, { recursive: true, force: true });
});

describe("evaluations without train twins", () => {
  it("marks each held-out face by its twin in TRAIN, and the run's own TRAIN split not at all", async () => {
    const sets = await loadMajoritySplits(
      t.db,
      fx.datasetId,
      classes,
      ["TRAIN", "VALID", "TEST"],
      fx.datasetId,
    );
    const count = (s: "valid" | "test", kind: string) =>
      sets[s]!.trainTwins!.filter((k) => k === kind).length;
    expect([count("valid", "EXACT"), count("valid", "NEAR"), sets.valid!.trainTwins!.length]).toEqual([
      2, 1, 8,
    ]);
    expect([count("test", "EXACT"), count("test", "NEAR"), sets.test!.trainTwins!.length]).toEqual([1, 0, 4]);
    expect(sets.train!.trainTwins).toBeUndefined();
  });

  it("the evaluate job stores both figures with n, and the twin-free one is a plain evaluation of the rest", async () => {
    const run = await createRun(t.db, fx.datasetId, {});
    const env = loadEnv({
      DATABASE_URL: t.url,
      CONCORD_ARTIFACTS_DIR: artifacts,
      CONCORD_TF_BACKEND: "wasm",
    });
    const dirs = runDir(env, run.id);
    mkdirSync(dirs.root, { recursive: true });
    const model = buildModel({ name: "fast-lite", classes: classes.length });
    await saveModel(model, dirs.model, { classNames: classes, modelName: "fast-lite", inputSize: 48 });
    writeFileSync(join(dirs.root, "run.json"), JSON.stringify({ classNames: classes }));
    await t.db.trainingRun.update({
      where: { id: run.id },
      data: { status: "SUCCEEDED", artifactPath: dirs.model },
    });

    const result = await evaluateRun(t.db, env, { runId: run.id, splits: ["TRAIN", "VALID", "TEST"] });
    const rows = await t.db.evaluation.findMany({ where: { runId: run.id } });
    const row = (split: string) => rows.find((r) => r.split === split)!;
    expect(row("VALID")).toMatchObject({ n: 8, nWithoutTwins: 5, exactTwins: 2, exactOrNearTwins: 3 });
    expect(row("TEST")).toMatchObject({ n: 4, nWithoutTwins: 3, exactTwins: 1, exactOrNearTwins: 1 });
    // The run's own train split has no "without train twins".
    expect(row("TRAIN")).toMatchObject({ nWithoutTwins: null, accuracyWithoutTwins: null, exactTwins: null });

    const sets = await loadMajoritySplits(t.db, fx.datasetId, classes, ["VALID"], fx.datasetId);
    const valid = sets.valid!;
    const rest = valid.trainTwins!.flatMap((k, i) => (k === null ? [i] : []));
    const plain = await evaluate(model, subsetImages(valid, rest), "valid", { labels: classes });
    expect(row("VALID").accuracyWithoutTwins).toBeCloseTo(plain.accuracy, 12);
    expect(row("VALID").macroF1WithoutTwins).toBeCloseTo(plain.macroF1, 12);
    expect(row("VALID").accuracy).not.toBeNull();
    const validResult = result.splits.find((s) => s.split === "VALID");
    expect(validResult?.withoutTrainTwins).toEqual({
      n: 5,
      accuracy: plain.accuracy,
      macroF1: plain.macroF1,
    });
    expect(result.splits.find((s) => s.split === "TRAIN")?.withoutTrainTwins).toBeNull();
    model.dispose();
  }, 120_000);
});
