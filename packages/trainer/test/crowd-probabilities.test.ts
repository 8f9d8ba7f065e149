// A logit-adjusted model stores its training prior, and what the crowd reads from it is the distribution its
// loss fitted to the vote shares, softmax(z + tau log prior), not the balanced softmax(z) it is scored on. A
// class-weighted model stores its weights, and the crowd reads its softmax divided by them.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { classPrior, classWeights, subsetImages, subsetTargets } from "../src/data/train-data";
import {
  classWeightsOf,
  crowdAdjustmentOf,
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
    const q = Array.from(crowdProbabilities(probs, { logitAdjustment: adj, classWeights: null }));
    const want = [0.4 / 0.57, 0.15 / 0.57, 0.02 / 0.57, 0.08 / 0.21, 0.05 / 0.21, 0.08 / 0.21];
    for (const [i, v] of q.entries()) expect(v).toBeCloseTo(want[i]!, 6);
    expect(crowdProbabilities(probs, null)).toBe(probs);
    expect(crowdProbabilities(probs, { logitAdjustment: null, classWeights: null })).toBe(probs);
    expect(
      crowdProbabilities(probs, { logitAdjustment: { tau: 0, prior: [0.5, 0.3, 0.2] }, classWeights: null }),
    ).toBe(probs);
  });

  it("divides each row by the class weights and renormalises; with both, both (by hand)", () => {
    const probs = Float32Array.of(0.5, 0.3, 0.2);
    // 0.5/0.5, 0.3/1, 0.2/4 = 1, 0.3, 0.05 (sum 1.35).
    const q = Array.from(crowdProbabilities(probs, { logitAdjustment: null, classWeights: [0.5, 1, 4] }));
    for (const [i, v] of q.entries()) expect(v).toBeCloseTo([1, 0.3, 0.05][i]! / 1.35, 6);
    // With tau 1 and prior 0.64, 0.25, 0.01 as well: 1*0.64, 0.3*0.25, 0.05*0.01 = 0.64, 0.075, 0.0005.
    const both = Array.from(
      crowdProbabilities(probs, {
        logitAdjustment: { tau: 1, prior: [0.64, 0.25, 0.01] },
        classWeights: [0.5, 1, 4],
      }),
    );
    for (const [i, v] of both.entries()) expect(v).toBeCloseTo([0.64, 0.075, 0.0005][i]! / 0.7155, 6);
  });

  it("reads stored class weights, none for a model without, and refuses ones that do not fit", () => {
    expect(classWeightsOf({ classNames: ["a", "b"] }, 2)).toBeNull();
    expect(crowdAdjustmentOf({ classWeights: [0.6, 3] }, 2)).toEqual({
      logitAdjustment: null,
      classWeights: [0.6, 3],
    });
    // A class without training faces has weight 0: nothing to undo for it.
    const absent = crowdProbabilities(Float32Array.of(0.5, 0.5), {
      logitAdjustment: null,
      classWeights: [0, 2],
    });
    expect(Array.from(absent)).toEqual([Math.fround(0.5 / 0.75), Math.fround(0.25 / 0.75)]);
    for (const bad of [[1, 1, 1], [-1, 2], ["1", 1], 3])
      expect(() => classWeightsOf({ classWeights: bad }, 2)).toThrow(/do not fit its 2 classes/);
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
    // The logit adjustment alone (the default recipe's class weighting off), from epoch 1.
    const cfg = {
      model: "fast-lite",
      batchSize: 8,
      learningRate: 3e-3,
      seed: 7,
      epochs: 2,
      classWeighting: false,
      rebalanceFromEpoch: 1,
    } as const;
    const adjusted = await train(data, { ...cfg, logitAdjustTau: 1 });
    const meta = adjusted.model.getUserDefinedMetadata() as TModelMetadata;
    expect(meta.logitAdjustment).toEqual({ tau: 1, prior });
    expect(prior[0]).toBeGreaterThan(0.5);

    const pixels = data.valid!.pixels;
    const raw = await predictProbabilities(adjusted.model, pixels);
    const crowd = await predictCrowdProbabilities(adjusted.model, pixels);
    expect(Array.from(crowd)).toEqual(
      Array.from(crowdProbabilities(raw, { logitAdjustment: { tau: 1, prior }, classWeights: null })),
    );
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

  it("train() with class weighting saves the weights it used; the crowd's rows are divided by them", async () => {
    const data = toyData(24);
    const keep = [...data.train.labels.keys()].filter((i) => data.train.labels[i] !== 2 || i < 3);
    const skewed = {
      ...data,
      train: { ...subsetImages(data.train, keep), targets: subsetTargets(data.train.targets, 3, keep) },
    };
    const labels = skewed.train.labels;
    const cfg = { model: "fast-lite", batchSize: 8, learningRate: 3e-3, seed: 7, epochs: 2 } as const;
    const weighted = await train(skewed, { ...cfg, classWeighting: true, classBalanceBeta: 0.9 });
    const want = Array.from(classWeights(labels, 3, 0.9));
    const meta = weighted.model.getUserDefinedMetadata() as TModelMetadata;
    expect(meta.classWeights).toEqual(want);
    expect(meta.logitAdjustment).toBeUndefined();
    const pixels = data.valid!.pixels;
    const raw = await predictProbabilities(weighted.model, pixels);
    const crowd = await predictCrowdProbabilities(weighted.model, pixels);
    expect(Array.from(crowd)).toEqual(
      Array.from(crowdProbabilities(raw, { logitAdjustment: null, classWeights: want })),
    );
    // The rare class (2, the heaviest weight) gets less of every face than the weighted softmax gives it.
    expect(want[2]).toBeGreaterThan(want[0]!);
    for (let i = 0; i < raw.length; i += 3) expect(crowd[i + 2]!).toBeLessThan(raw[i + 2]!);
    weighted.model.dispose();
  });
});
