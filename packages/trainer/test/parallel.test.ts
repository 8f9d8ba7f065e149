import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { PIXELS } from "../src/data/augment";
import { createInferencePool, predictProbabilities } from "../src/evaluation/evaluate";
import { train } from "../src/loop/train";
import { PREDATING_TRAIN_LEVERS } from "../src/loop/train-config";
import { buildModel } from "../src/model/model-factories";
import type { TTrainConfig } from "../src/types";
import { abortAfterEpoch1AndResume, toyData, weightsOf } from "./helpers";

const tmp = mkdtempSync(path.join(os.tmpdir(), "concord-parallel-"));
const cfg: Partial<TTrainConfig> = {
  model: "fast-lite",
  batchSize: 8,
  learningRate: 3e-3,
  seed: 11,
  epochs: 2,
  workers: 2,
  earlyStoppingPatience: 0,
  // Levers off (the defaults turn them on): the live weights of the two runs are what is compared.
  ...PREDATING_TRAIN_LEVERS,
};

describe("data-parallel workers", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("trains with 2 workers and resumes to the same weights as an uninterrupted run", async () => {
    const data = toyData(18, 4);
    const full = await train(data, cfg);
    expect(full.history[1]?.loss).toBeLessThan(full.history[0]?.loss as number);
    const resumed = await abortAfterEpoch1AndResume(data, cfg, path.join(tmp, "ck"));
    expect(await weightsOf(resumed.model)).toEqual(await weightsOf(full.model));
    full.model.dispose();
    resumed.model.dispose();
  });

  it("predicts the same probabilities on 2 inference threads as on one, batch for batch, and reuses a pool", async () => {
    const data = toyData(45, 5);
    const model = buildModel({ name: "fast-lite", classes: 3 });
    const pixels = data.train.pixels;
    const seen: number[] = [];
    const one = await predictProbabilities(model, pixels, { batchSize: 8 });
    const two = await predictProbabilities(model, pixels, {
      batchSize: 8,
      threads: 2,
      onProgress: (done) => void seen.push(done),
    });
    expect(two).toHaveLength(45 * 3);
    for (let i = 0; i < one.length; i++) expect(two[i]).toBeCloseTo(one[i] as number, 5);
    // 45 images, batches of 8, 2 lanes: rounds end at 16, 32, 45.
    expect(seen).toEqual([16, 32, 45]);
    // Another model of the same topology through the same pool: its own weights are used.
    const other = buildModel({ name: "fast-lite", classes: 3 });
    const pool = (await createInferencePool(other, 2))!;
    try {
      const a = await predictProbabilities(other, pixels.subarray(0, 20 * PIXELS), { batchSize: 4, pool });
      const b = await predictProbabilities(model, pixels.subarray(0, 20 * PIXELS), { batchSize: 4, pool });
      const c = await predictProbabilities(other, pixels.subarray(0, 20 * PIXELS), { batchSize: 20 });
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(c[i] as number, 5);
      for (let i = 0; i < b.length; i++) expect(b[i]).toBeCloseTo(one[i] as number, 5);
    } finally {
      await pool.close();
    }
    const aborted = new AbortController();
    aborted.abort(new Error("stop"));
    await expect(predictProbabilities(model, pixels, { threads: 2, signal: aborted.signal })).rejects.toThrow(
      /stop/,
    );
    model.dispose();
    other.dispose();
  });
});
