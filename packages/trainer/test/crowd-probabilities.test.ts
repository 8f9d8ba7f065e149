// A logit-adjusted model stores its training prior, and what the crowd reads from it is the distribution its
// loss fitted to the vote shares, softmax(z + tau log prior), not the balanced softmax(z) it is scored on.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { classPrior } from "../src/data/train-data";
import {
  crowdProbabilities,
  logitAdjustmentOf,
  predictCrowdProbabilities,
} from "../src/evaluation/crowd-probabilities";
import { predictProbabilities } from "../src/evaluation/evaluate";
import { train } from "../src/loop/train";
import { loadModel, saveModel, type TModelMetadata } from "../src/model/model-io";
import { toyData } from "./helpers";

const tmp = mkdtempSync(path.join(os.tmpdir(), "concord-crowd-probs-"));

describe("crowd probabilities of a logit-adjusted model", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("reweights each row by prior^tau and renormalises (by hand); no adjustment leaves rows as they are", () => {
    const probs = Float32Array.of(0.5, 0.3, 0.2, 0.1, 0.1, 0.8);
    const adj = { tau: 0.5, prior: [0.64, 0.25, 0.01] };
    // Row 1: 0.5*0.8, 0.3*0.5, 0.2*0.1 = 0.4, 0.15, 0.02 (sum 0.57); row 2: 0.08, 0.05, 0.08 (sum 0.21).
    const q = Array.from(crowdProbabilities(probs, adj));
    const want = [0.4 / 0.57, 0.15 / 0.57, 0.02 / 0.57, 0.08 / 0.21, 0.05 / 0.21, 0.08 / 0.21];
    for (const [i, v] of q.entries()) expect(v).toBeCloseTo(want[i]!, 6);
    expect(crowdProbabilities(probs, null)).toBe(probs);
    expect(crowdProbabilities(probs, { tau: 0, prior: [0.5, 0.3, 0.2] })).toBe(probs);
  });

  it("reads a stored adjustment, none for a model without, and refuses one that does not fit", () => {
    expect(logitAdjustmentOf({ classNames: ["a", "b"] }, 2)).toBeNull();
    expect(logitAdjustmentOf(undefined, 2)).toBeNull();
    expect(logitAdjustmentOf({ logitAdjustment: { tau: 1, prior: [0.9, 0.1] } }, 2)).toEqual({
      tau: 1,
      prior: [0.9, 0.1],
    });
    for (const bad of [
      { tau: 1, prior: [0.9, 0.05, 0.05] },
      { tau: -1, prior: [0.9, 0.1] },
      { tau: 1, prior: [1.2, 0] },
      { tau: "1", prior: [0.9, 0.1] },
    ])
      expect(() => logitAdjustmentOf({ logitAdjustment: bad }, 2)).toThrow(/does not fit its 2 classes/);
  });

  it("train() saves tau and the training targets' prior; the crowd's rows are the reweighted ones", async () => {
    // An unbalanced crowd: the faces of classes 1 and 2 split their votes with class 0.
    const data = toyData(24);
    data.train.labels.forEach((l, i) => {
      data.train.targets.set(l === 0 ? [0.8, 0.1, 0.1] : l === 1 ? [0.4, 0.6, 0] : [0.4, 0, 0.6], i * 3);
    });
    const prior = Array.from(classPrior(data.train.targets, 3));
    const cfg = { model: "fast-lite", batchSize: 8, learningRate: 3e-3, seed: 7, epochs: 2 } as const;
    const adjusted = await train(data, { ...cfg, logitAdjustTau: 1 });
    const meta = adjusted.model.getUserDefinedMetadata() as TModelMetadata;
    expect(meta.logitAdjustment).toEqual({ tau: 1, prior });
    expect(prior[0]).toBeGreaterThan(0.5);

    const pixels = data.valid!.pixels;
    const raw = await predictProbabilities(adjusted.model, pixels);
    const crowd = await predictCrowdProbabilities(adjusted.model, pixels);
    expect(Array.from(crowd)).toEqual(Array.from(crowdProbabilities(raw, { tau: 1, prior })));
    // Class 0, the crowd's favourite, gets more of every face than the balanced softmax gives it.
    for (let i = 0; i < raw.length; i += 3) expect(crowd[i]!).toBeGreaterThan(raw[i]!);

    // Saved and loaded (the worker's and concord-eval's road), the model keeps it.
    const dir = path.join(tmp, "adjusted");
    await saveModel(adjusted.model, dir);
    const loaded = await loadModel(dir);
    expect(Array.from(await predictCrowdProbabilities(loaded, pixels))).toEqual(Array.from(crowd));
    loaded.dispose();
    adjusted.model.dispose();

    // Without the lever nothing is stored and the crowd reads the softmax as it is.
    const plain = await train(data, { ...cfg, logitAdjustTau: 0 });
    expect((plain.model.getUserDefinedMetadata() as TModelMetadata).logitAdjustment).toBeUndefined();
    expect(Array.from(await predictCrowdProbabilities(plain.model, pixels))).toEqual(
      Array.from(await predictProbabilities(plain.model, pixels)),
    );
    plain.model.dispose();
  });
});
