import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ZDecisionReport } from "@concord/jobs/run-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { PIXELS } from "../src/data/augment";
import {
  BIAS_GRID,
  crossFitDecisions,
  decide,
  decisionBiasesOf,
  facesDigest,
  fitDecisionBiases,
  heldOutDecisions,
  logProbabilities,
} from "../src/evaluation/decision-biases";
import { evaluate, scoreProbabilities } from "../src/evaluation/evaluate";
import { classReports, confusionMatrix, macroF1 } from "../src/evaluation/metrics";
import { Rng } from "../src/loop/seeded-rng";
import { train } from "../src/loop/train";
import { loadModel, readModelMetadata, saveModel } from "../src/model/model-io";
import type { TImageSet } from "../src/types";
import { toyData } from "./helpers";

/**
 * A 3-class problem whose rare class (2, one face in ten) the "model" under-rates: its probability for the true
 * class is shrunk, so argmax mostly calls rare faces class 0 while class 2 is still their close second.
 */
function underRatedRareClass(n: number, seed: number) {
  const rng = new Rng(seed);
  const labels = new Int32Array(n);
  const probs = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const t = i % 10 === 0 ? 2 : i % 2;
    labels[i] = t;
    const p = [rng.uniform(0.1, 0.4), rng.uniform(0.1, 0.4), rng.uniform(0.05, 0.2)];
    p[t] = (p[t] as number) + (t === 2 ? rng.uniform(0.05, 0.35) : rng.uniform(0.3, 0.9));
    const s = p.reduce((a, b) => a + b, 0);
    for (let c = 0; c < 3; c++) probs[i * 3 + c] = (p[c] as number) / s;
  }
  return { labels, probs };
}

function scoreOf(predicted: Int32Array, labels: Int32Array) {
  const confusion = confusionMatrix(labels, predicted, 3);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return {
    accuracy: right / labels.length,
    macroF1: macroF1(classReports(confusion, ["a", "b", "c"])),
  };
}

describe("decision biases (pure)", () => {
  it("decide is argmax of log p + b, ties to the lower class", () => {
    const probs = Float32Array.from([0.5, 0.3, 0.2, 0.2, 0.2, 0.6, 0.4, 0.4, 0.2]);
    const logp = logProbabilities(probs);
    expect(Array.from(decide(logp, [0, 0, 0]))).toEqual([0, 2, 0]);
    // log(0.3) + 0.6 > log(0.5): the second class wins the first face.
    expect(Array.from(decide(logp, [0, 0.6, 0]))).toEqual([1, 2, 1]);
    expect(Array.from(decide(logp, [0, -1, 2]))).toEqual([2, 2, 2]);
  });

  it("fits biases on the grid that raise macro-F1 without lowering accuracy", () => {
    const { labels, probs } = underRatedRareClass(600, 3);
    const logp = logProbabilities(probs);
    const argmax = scoreOf(decide(logp, [0, 0, 0]), labels);
    const b = fitDecisionBiases(logp, labels, 3);
    expect(b[0]).toBe(0);
    for (const v of b) {
      expect(v).toBeGreaterThanOrEqual(BIAS_GRID.low);
      expect(v).toBeLessThanOrEqual(BIAS_GRID.high);
      expect(Number.isInteger((v - BIAS_GRID.low) / BIAS_GRID.step)).toBe(true);
    }
    const fitted = scoreOf(decide(logp, b), labels);
    expect(b[2]).toBeGreaterThan(0);
    expect(fitted.macroF1).toBeGreaterThan(argmax.macroF1 + 0.05);
    expect(fitted.accuracy).toBeGreaterThanOrEqual(argmax.accuracy);
  });

  it("reports the fitting split cross-fitted: repeatable, below the in-sample figure, with its spread", () => {
    const { labels, probs } = underRatedRareClass(400, 5);
    const logp = logProbabilities(probs);
    const inSample = scoreOf(decide(logp, fitDecisionBiases(logp, labels, 3)), labels);
    const a = crossFitDecisions(probs, labels, 3, null, 6);
    const b = crossFitDecisions(probs, labels, 3, null, 6);
    expect(a).toEqual(b);
    expect(a.protocol).toBe("cross-fitted");
    expect(a.halvings).toBe(6);
    expect(a.macroF1).toBeLessThan(inSample.macroF1);
    expect(a.macroF1Sd).toBeGreaterThan(0);
    expect(a.perClassF1).toHaveLength(3);
    expect(a.withoutTrainTwins).toBeNull();
  });

  it("scores the faces without train twins from the same decisions", () => {
    const { labels, probs } = underRatedRareClass(200, 9);
    const twins = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? ("EXACT" as const) : null));
    const stored = { biases: [0, 0, 0], fittedOn: "elsewhere", n: 1, digest: "x" };
    const d = heldOutDecisions(probs, labels, stored, twins);
    const keep = twins.flatMap((t, i) => (t ? [] : [i]));
    const argmax = decide(logProbabilities(probs), [0, 0, 0]);
    const free = scoreOf(
      Int32Array.from(keep, (i) => argmax[i] as number),
      Int32Array.from(keep, (i) => labels[i] as number),
    );
    expect(d.withoutTrainTwins?.n).toBe(150);
    expect(d.withoutTrainTwins?.accuracy).toBeCloseTo(free.accuracy, 12);
    expect(d.withoutTrainTwins?.macroF1).toBeCloseTo(free.macroF1, 12);
  });

  it("refuses biases that do not fit the model's classes", () => {
    expect(decisionBiasesOf({ classNames: ["a"] }, 3)).toBeNull();
    const ok = { biases: [0, 1, 2], fittedOn: "valid", n: 3, digest: "d" };
    expect(decisionBiasesOf({ decisionBiases: ok }, 3)).toEqual(ok);
    expect(() => decisionBiasesOf({ decisionBiases: { ...ok, biases: [0, 1] } }, 3)).toThrow(/3 classes/);
    expect(() => decisionBiasesOf({ decisionBiases: { ...ok, biases: [0, 1, Number.NaN] } }, 3)).toThrow();
  });
});

describe("decision biases in evaluation and training", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "concord-biases-"));
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function setOf(n: number, seed: number): { set: TImageSet; probs: Float32Array } {
    const { labels, probs } = underRatedRareClass(n, seed);
    const pixels = new Uint8Array(n * PIXELS);
    const rng = new Rng(seed);
    for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
    return { set: { pixels, labels }, probs };
  }

  it("cross-fits on the split the biases were fitted on (same faces and labels) and applies them elsewhere", () => {
    const a = setOf(300, 11);
    const keep = Array.from({ length: 300 }, (_, i) => i);
    const fitted = scoreProbabilities(a.probs, a.set, keep, "valid", ["a", "b", "c"], false, { fit: true });
    const d = fitted.decisions!;
    expect(d.protocol).toBe("cross-fitted");
    expect(d.digest).toBe(facesDigest(a.set.pixels, a.set.labels));
    // The argmax figures are unchanged beside them.
    const plain = scoreProbabilities(a.probs, a.set, keep, "valid", ["a", "b", "c"], false);
    expect(plain.decisions).toBeNull();
    expect(fitted.accuracy).toBe(plain.accuracy);
    // Stored biases on the same faces: cross-fitted again (the same figures), never in-sample.
    const again = scoreProbabilities(a.probs, a.set, keep, "FER2013Valid", ["a", "b", "c"], false, {
      stored: d,
    });
    expect(again.decisions?.protocol).toBe("cross-fitted");
    expect(again.decisions?.macroF1).toBe(d.macroF1);
    // Another split: the stored biases applied as they are.
    const b = setOf(200, 12);
    const other = scoreProbabilities(b.probs, b.set, keep.slice(0, 200), "test", ["a", "b", "c"], false, {
      stored: d,
    });
    expect(other.decisions?.protocol).toBe("held-out");
    const decided = decide(logProbabilities(b.probs), d.biases);
    expect(other.decisions?.accuracy).toBeCloseTo(scoreOf(decided, b.set.labels).accuracy, 12);
    expect(() =>
      scoreProbabilities(b.probs, b.set, keep.slice(0, 200), "test", ["a", "b", "c"], false, {
        stored: { ...d, biases: [0, 1] },
      }),
    ).toThrow(/2 decision biases/);
  });

  it("a run fits biases on its selection split, reports them cross-fitted, applies them to test and saves them", async () => {
    const toy = toyData(24, 3);
    const data = { ...toy, valid: toy.valid!, test: toyData(12, 4).valid! };
    const r = await train(data, {
      model: "fast-lite",
      epochs: 1,
      batchSize: 8,
      seed: 7,
      earlyStoppingPatience: 0,
    });
    expect(r.valid?.decisions?.protocol).toBe("cross-fitted");
    expect(r.valid?.decisions?.fittedOn).toBe("valid");
    expect(r.test?.decisions?.protocol).toBe("held-out");
    expect(r.test?.decisions?.biases).toEqual(r.valid?.decisions?.biases);
    // The contract the worker stores and the web reads.
    expect(ZDecisionReport.parse(r.valid?.decisions)).toEqual(r.valid?.decisions);
    expect(ZDecisionReport.parse(r.test?.decisions)).toEqual(r.test?.decisions);
    const dir = path.join(tmp, "model");
    await saveModel(r.model, dir, r.model.getUserDefinedMetadata() as never);
    const meta = await readModelMetadata(dir);
    expect(meta?.decisionBiases).toEqual({
      biases: r.valid?.decisions?.biases,
      fittedOn: "valid",
      n: data.valid.labels.length,
      digest: facesDigest(data.valid.pixels, data.valid.labels),
    });
    // The loaded model's evaluation uses them: cross-fitted on its valid split, held out on test.
    const loaded = await loadModel(dir);
    const onValid = await evaluate(loaded, data.valid, "valid", { tta: r.config.ttaEval });
    expect(onValid.decisions?.protocol).toBe("cross-fitted");
    expect(onValid.decisions?.macroF1).toBeCloseTo(r.valid!.decisions!.macroF1, 6);
    expect((await evaluate(loaded, data.test, "test")).decisions?.protocol).toBe("held-out");
    expect((await evaluate(loaded, data.test, "test", { decisionBiases: null })).decisions).toBeNull();
    loaded.dispose();
    r.model.dispose();
  });
});
