import { ZTrainingConfig } from "@concord/jobs/run-config";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { PIXELS } from "../src/data/augment";
import { betaSymmetric, cutmixBatch, mixBatch, mixOrCut } from "../src/data/mixup";
import { classPrior, subsetImages, subsetTargets } from "../src/data/train-data";
import { lrAt } from "../src/loop/lr-schedule";
import { mixSeed, Rng, withSeededMathRandom } from "../src/loop/seeded-rng";
import { softTargetLoss } from "../src/loop/shard-gradients";
import { train } from "../src/loop/train";
import { resolveConfig, trainConfigOf } from "../src/loop/train-config";
import { WeightEma } from "../src/loop/weight-ema";
import { buildModel } from "../src/model/model-factories";
import type { TTrainConfig } from "../src/types";
import { toyData, weightsOf } from "./helpers";

beforeAll(async () => {
  await initBackend("wasm", { quiet: true });
});

describe("learning-rate schedule", () => {
  const cosine = { schedule: "cosine", warmupEpochs: 1, epochs: 3, learningRate: 0.01 } as const;
  it("warms up linearly from a tenth, then decays by cosine to a hundredth at the last step", () => {
    // 4 batches an epoch: steps 0-3 warm up, 4..11 decay (p = (step - 4) / 7).
    expect(lrAt(0, cosine, 4, 0.01)).toBeCloseTo(0.001, 12);
    expect(lrAt(2, cosine, 4, 0.01)).toBeCloseTo(0.0055, 12);
    expect(lrAt(3, cosine, 4, 0.01)).toBeCloseTo(0.01 * (0.1 + 0.9 * 0.75), 12);
    expect(lrAt(4, cosine, 4, 0.01)).toBeCloseTo(0.01, 12);
    // 1e-4 + 0.0099 x (1 + cos(4 pi / 7)) / 2, cos(4 pi / 7) = -0.2225209340
    expect(lrAt(8, cosine, 4, 0.01)).toBeCloseTo(0.0001 + 0.0099 * 0.5 * (1 - 0.222520934), 9);
    expect(lrAt(11, cosine, 4, 0.01)).toBeCloseTo(0.0001, 12);
    // The cosine ignores the plateau's base.
    expect(lrAt(8, cosine, 4, 0.005)).toBe(lrAt(8, cosine, 4, 0.01));
  });
  it("plateau: warm-up toward the plateau's current rate, then that rate", () => {
    const plateau = { ...cosine, schedule: "plateau" } as const;
    expect(lrAt(1, plateau, 4, 0.005)).toBeCloseTo(0.005 * (0.1 + 0.9 / 4), 12);
    expect(lrAt(4, plateau, 4, 0.005)).toBe(0.005);
    expect(lrAt(11, plateau, 4, 0.005)).toBe(0.005);
    expect(lrAt(0, { ...plateau, warmupEpochs: 0 }, 4, 0.005)).toBe(0.005);
  });
});

describe("weight EMA", () => {
  it("averages with the ramped decay min(decay, (1 + t) / (10 + t))", () => {
    const ema = new WeightEma(0.999, [Float32Array.of(1, 2)]);
    ema.update([Float32Array.of(3, 4)]);
    const d1 = 2 / 11;
    expect(Array.from(ema.values[0] as Float32Array)).toEqual([
      Math.fround(d1 * 1 + (1 - d1) * 3),
      Math.fround(d1 * 2 + (1 - d1) * 4),
    ]);
    expect(WeightEma.decayAt(0.9, 1000)).toBe(0.9);
  });

  it("the saved model of an EMA run is the hand-computed average of the trained weights after 2 steps", async () => {
    // 8 faces, batch 8: one step an epoch; training itself does not depend on the EMA.
    const data = toyData(8, 4);
    const cfg: Partial<TTrainConfig> = {
      model: "fast-lite",
      batchSize: 8,
      learningRate: 3e-3,
      seed: 5,
      earlyStoppingPatience: 0,
      augment: false,
      // The plain loss: the hand-computed average below is of its steps.
      classWeighting: false,
    };
    const w0 = withSeededMathRandom(mixSeed(5, 1), () => buildModel({ name: "fast-lite", classes: 3 }));
    const after = async (epochs: number, emaDecay = 0) => {
      const r = await train(data, { ...cfg, epochs, emaDecay });
      const w = await weightsOf(r.model);
      r.model.dispose();
      return w;
    };
    const w1 = await after(1);
    const w2 = await after(2);
    const withEma = await after(2, 0.5);
    const init = await weightsOf(w0);
    w0.dispose();
    const d1 = WeightEma.decayAt(0.5, 1);
    const d2 = WeightEma.decayAt(0.5, 2);
    expect([d1, d2]).toEqual([2 / 11, 3 / 12]);
    const hand = init.map((w, i) =>
      w.map((v, j) => {
        const e1 = Math.fround(d1 * v + (1 - d1) * (w1[i]![j] as number));
        return Math.fround(d2 * e1 + (1 - d2) * (w2[i]![j] as number));
      }),
    );
    expect(withEma).toEqual(hand);
    expect(withEma).not.toEqual(w2);
  });
});

describe("mixup", () => {
  it("draws Beta(alpha, alpha): mean 1/2, variance 1 / (4 (2 alpha + 1))", () => {
    const rng = new Rng(11);
    const n = 20000;
    let s = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const b = betaSymmetric(rng, 0.4);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThanOrEqual(1);
      s += b;
      sq += b * b;
    }
    const mean = s / n;
    expect(mean).toBeCloseTo(0.5, 1);
    expect(sq / n - mean * mean).toBeCloseTo(1 / (4 * 1.8), 2);
  });

  const batch = () => {
    const rng = new Rng(3);
    const x = Float32Array.from({ length: 4 * 5 }, () => rng.uniform(-2, 2));
    const y = Float32Array.of(1, 0, 0, 0, 1, 0, 0.2, 0.3, 0.5, 0, 0, 1);
    const w = Float32Array.of(1, 2, 3, 4);
    return { x, y, w };
  };

  it("with alpha -> 0 leaves the batch as it is", () => {
    const { x, y, w } = batch();
    const m = mixBatch({ n: 4, x, y, w }, new Rng(9), 1e-3);
    expect(m.lambda).toBeGreaterThan(1 - 1e-6);
    for (const [i, v] of m.x.entries()) expect(v).toBeCloseTo(x[i] as number, 5);
    for (const [i, v] of m.y.entries()) expect(v).toBeCloseTo(y[i] as number, 5);
  });

  it("mixes images, targets and weights by one lambda and partner; targets still sum to 1; seeded", () => {
    const { x, y, w } = batch();
    const m = mixBatch({ n: 4, x, y, w }, new Rng(9), 1);
    expect(m.lambda).toBeGreaterThanOrEqual(0.5);
    expect(m.lambda).toBeLessThan(1 - 1e-3);
    expect([...m.partner].sort()).toEqual([0, 1, 2, 3]);
    for (let i = 0; i < 4; i++) {
      const p = m.partner[i] as number;
      const sum = m.y.subarray(i * 3, i * 3 + 3).reduce((a, v) => a + v, 0);
      expect(sum).toBeCloseTo(1, 6);
      expect(m.x[i * 5 + 2]).toBeCloseTo(m.lambda * x[i * 5 + 2]! + (1 - m.lambda) * x[p * 5 + 2]!, 6);
      expect(m.w![i]).toBeCloseTo(m.lambda * w[i]! + (1 - m.lambda) * w[p]!, 6);
    }
    expect(mixBatch({ n: 4, x, y, w }, new Rng(9), 1)).toEqual(m);
  });
});

describe("cutmix", () => {
  const images = (n: number) =>
    Float32Array.from({ length: n * PIXELS }, (_, i) => Math.floor(i / PIXELS) + 1);
  const targets = Float32Array.of(1, 0, 0, 1, 0.5, 0.5);

  it("pastes the partner's box and mixes targets by the share of the image left", () => {
    // Image i holds the value i + 1 everywhere: each pixel says where it came from.
    const x = images(3);
    const y = Float32Array.of(1, 0, 0, 1, 0.5, 0.5);
    const m = cutmixBatch({ n: 3, x, y, w: null }, new Rng(4), 1);
    let swapped = 0;
    for (let i = 0; i < 3; i++) {
      const p = m.partner[i] as number;
      const img = m.x.subarray(i * PIXELS, (i + 1) * PIXELS);
      const fromPartner = img.filter((v) => v === p + 1 && p !== i).length;
      const own = img.filter((v) => v === i + 1).length;
      if (p !== i) {
        swapped++;
        expect(own + fromPartner).toBe(PIXELS);
        expect(own / PIXELS).toBeCloseTo(m.lambda, 10);
      }
      const row = Array.from(m.y.subarray(i * 2, i * 2 + 2));
      expect(row[0]! + row[1]!).toBeCloseTo(1, 6);
      expect(row[0]).toBeCloseTo(m.lambda * y[i * 2]! + (1 - m.lambda) * y[p * 2]!, 6);
    }
    expect(swapped).toBeGreaterThan(0);
    expect(m.lambda).toBeGreaterThan(0);
    expect(m.lambda).toBeLessThan(1);
  });

  it("with alpha -> 0 leaves the batch as it is; with mixup on too, a coin per batch picks one", () => {
    const x = images(3);
    const m = cutmixBatch({ n: 3, x, y: targets, w: null }, new Rng(4), 1e-3);
    expect(m.lambda).toBe(1);
    expect(m.x).toEqual(x);
    expect(m.y).toEqual(targets);
    expect(mixOrCut({ n: 3, x, y: targets, w: null }, new Rng(4), { mixup: 0, cutmix: 0 })).toBeNull();
    const kinds = new Set<string>();
    const rng = new Rng(8);
    for (let k = 0; k < 20; k++) {
      const r = mixOrCut({ n: 3, x, y: targets, w: null }, rng, { mixup: 1, cutmix: 1 })!;
      // cutmix keeps whole pixel values; mixup blends them.
      kinds.add(r.x.every((v) => Number.isInteger(v)) ? "cutmix" : "mixup");
    }
    expect(kinds).toEqual(new Set(["mixup", "cutmix"]));
  });
});

describe("logit adjustment", () => {
  it("takes the prior from the training targets", () => {
    const prior = classPrior(Float32Array.of(1, 0, 0, 0.5, 0.5, 0), 3);
    expect(Array.from(prior)).toEqual([Math.fround(0.75), 0.25, 1e-6].map(Math.fround));
  });

  it("the loss gradient in the logits is softmax(logits + tau log prior) - target, by hand", async () => {
    const z = [
      [0.3, -1.2, 0.8],
      [1.5, 0.1, -0.4],
    ];
    const y = [
      [0.7, 0.2, 0.1],
      [0, 1, 0],
    ];
    const prior = [0.6, 0.3, 0.1];
    const tau = 1.5;
    const adjust = prior.map((p) => tau * Math.log(p));
    const gradOf = (adj: number[] | null) =>
      tf.tidy(() => {
        const g = tf.grad((logits: tf.Tensor) =>
          softTargetLoss(tf.softmax(logits), tf.tensor2d(y), null, adj ? tf.tensor2d([adj]) : null),
        )(tf.tensor2d(z));
        return g.arraySync() as number[][];
      });
    const softmax = (row: number[]) => {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const hand = (adj: number[]) =>
      z.map((row, i) => softmax(row.map((v, c) => v + adj[c]!)).map((p, c) => (p - y[i]![c]!) / z.length));
    const adjusted = gradOf(adjust);
    const plain = gradOf(null);
    const pairs: [number[][], number[][]][] = [
      [adjusted, hand(adjust)],
      [plain, hand([0, 0, 0])],
    ];
    for (const [g, h] of pairs)
      for (const [i, row] of g.entries())
        for (const [c, v] of row.entries()) expect(v).toBeCloseTo(h[i]![c]!, 5);
    // The rare class (prior 0.1) is pushed harder toward its target in the adjusted loss.
    expect(adjusted[0]![2]!).toBeLessThan(plain[0]![2]!);
  });
});

describe("the run config's levers reach the loop", () => {
  it("maps form fields to the loop's names; the defaults are the levers recipe", () => {
    const defaults = resolveConfig(trainConfigOf(ZTrainingConfig.parse({})));
    expect(defaults).toMatchObject({
      epochs: 24,
      schedule: "cosine",
      warmupEpochs: 1,
      emaDecay: 0.999,
      mixupAlpha: 0,
      cutmixAlpha: 0,
      logitAdjustTau: 0,
      ttaEval: true,
    });
    expect(resolveConfig()).toEqual(defaults);
    // run-config field -> loop field, a value on and a value off: each field has one that is not its default.
    const names: [string, keyof TTrainConfig, unknown, unknown][] = [
      ["schedule", "schedule", "cosine", "plateau"],
      ["warmupEpochs", "warmupEpochs", 2, 0],
      ["ema", "emaDecay", 0.99, 0],
      ["mixup", "mixupAlpha", 0.2, 0],
      ["cutmix", "cutmixAlpha", 1, 0],
      ["logitAdjust", "logitAdjustTau", 1, 0],
      ["ttaEval", "ttaEval", true, false],
      ["model", "model", "fast-wide", "seed"],
    ];
    const on = trainConfigOf(ZTrainingConfig.parse(Object.fromEntries(names.map(([k, , v]) => [k, v]))));
    const off = trainConfigOf(ZTrainingConfig.parse(Object.fromEntries(names.map(([k, , , v]) => [k, v]))));
    for (const [, key, v, w] of names) {
      expect(on[key as keyof typeof on]).toBe(v);
      expect(off[key as keyof typeof off]).toBe(w);
    }
    expect(() => resolveConfig({ emaDecay: 1 })).toThrow(/emaDecay/);
    expect(() => resolveConfig({ schedule: "step" as never })).toThrow(/schedule/);
  });
});

describe("deferred rebalancing (DRW)", () => {
  // Skewed toy data (class "left" keeps 1 face of 4), so class weights and the prior are not uniform.
  function skewed() {
    const d = toyData(12, 3);
    const keep = [...d.train.labels.keys()].filter((i) => d.train.labels[i] !== 2 || i < 3);
    return {
      ...d,
      train: { ...subsetImages(d.train, keep), targets: subsetTargets(d.train.targets, 3, keep) },
    };
  }
  const cfg: Partial<TTrainConfig> = {
    model: "fast-lite",
    epochs: 3,
    batchSize: 3,
    learningRate: 3e-3,
    seed: 11,
    earlyStoppingPatience: 3,
    augment: false,
    emaDecay: 0,
    ttaEval: false,
    schedule: "plateau",
    warmupEpochs: 0,
    // The plain loss unless a case turns a lever on; on from epoch 1 unless a case defers it.
    classWeighting: false,
    classBalanceBeta: 1,
    rebalanceFromEpoch: 1,
  };
  async function run(extra: Partial<TTrainConfig>) {
    const r = await train(skewed(), { ...cfg, ...extra });
    const weights = await weightsOf(r.model);
    r.model.dispose();
    const figures = r.history.map((m) => [m.loss, m.trainAccuracy, m.validLoss, m.validAccuracy]);
    return { figures, bestEpoch: r.bestEpoch, weights };
  }

  it("trains the plain loss before rebalanceFromEpoch and the rebalanced one from it; keeps the last epoch", async () => {
    const plain = await run({});
    for (const lever of [{ classWeighting: true }, { logitAdjustTau: 1 }]) {
      const always = await run(lever);
      const deferred = await run({ ...lever, rebalanceFromEpoch: 3 });
      // The lever changes epoch 1 when it is on from the start (the data is skewed)...
      expect(always.figures[0]).not.toEqual(plain.figures[0]);
      // ...and, deferred to epoch 3, epochs 1-2 are the plain run's to the last bit and epoch 3 is not.
      expect(deferred.figures.slice(0, 2)).toEqual(plain.figures.slice(0, 2));
      expect(deferred.figures[2]).not.toEqual(plain.figures[2]);
      expect(deferred.bestEpoch).toBe(3);
      expect(deferred.weights).not.toEqual(plain.weights);
    }
  });

  it("refuses a deferral with nothing to defer, or past the last epoch, naming the field", () => {
    expect(() => resolveConfig({ classWeighting: false, rebalanceFromEpoch: 3 })).toThrow(
      /rebalanceFromEpoch defers class weighting or logit adjustment/,
    );
    expect(() => resolveConfig({ classWeighting: true, epochs: 10, rebalanceFromEpoch: 11 })).toThrow(
      /rebalanceFromEpoch at most epochs \(10\)/,
    );
    expect(() => resolveConfig({ classWeighting: true, rebalanceFromEpoch: -1 })).toThrow(
      /rebalanceFromEpoch must be an integer >= 0 \(0 = auto, 1 = every epoch\)/,
    );
    expect(resolveConfig({ logitAdjustTau: 1, rebalanceFromEpoch: 19 }).rebalanceFromEpoch).toBe(19);
    // Auto (0, the default) resolves against the run's epochs; with nothing to defer it is every epoch.
    expect(resolveConfig({ classWeighting: true }).rebalanceFromEpoch).toBe(19);
    expect(resolveConfig().rebalanceFromEpoch).toBe(19);
    expect(resolveConfig({ classWeighting: false }).rebalanceFromEpoch).toBe(1);
    expect(resolveConfig({ classWeighting: false, logitAdjustTau: 1, epochs: 4 }).rebalanceFromEpoch).toBe(4);
  });

  it("class-balanced loss: beta tempers the weights between the plain loss (0) and inverse frequency (1)", async () => {
    const plain = await run({});
    const inverse = await run({ classWeighting: true });
    const tempered = await run({ classWeighting: true, classBalanceBeta: 0.5 });
    const equal = await run({ classWeighting: true, classBalanceBeta: 0 });
    expect(inverse.figures[0]).not.toEqual(plain.figures[0]);
    expect(tempered.figures[0]).not.toEqual(plain.figures[0]);
    expect(tempered.figures[0]).not.toEqual(inverse.figures[0]);
    // Equal weights of 1: the plain run's loss, to the last bit.
    expect(equal.figures).toEqual(plain.figures);
    expect(equal.weights).toEqual(plain.weights);
    // Without the class weighting beta does nothing: the plain run, to the last bit.
    const inert = await run({ classBalanceBeta: 0.5 });
    expect(inert.figures).toEqual(plain.figures);
    expect(() => resolveConfig({ classWeighting: true, classBalanceBeta: 1.5 })).toThrow(
      /classBalanceBeta must be in \[0, 1\]/,
    );
    // The class weighting (on by default) with its defaults: the class-balanced loss (beta 0.999) over the last
    // quarter of the epochs.
    expect(resolveConfig().classWeighting).toBe(true);
    expect(resolveConfig({ classWeighting: true })).toMatchObject({
      classBalanceBeta: 0.999,
      rebalanceFromEpoch: 19,
    });
    expect(resolveConfig({ classWeighting: true, epochs: 10 }).rebalanceFromEpoch).toBe(8);
    expect(resolveConfig({ epochs: 10 }).rebalanceFromEpoch).toBe(8);
    expect(resolveConfig({ classWeighting: false }).rebalanceFromEpoch).toBe(1);
    expect(resolveConfig({ classWeighting: true, rebalanceFromEpoch: 5 }).rebalanceFromEpoch).toBe(5);
  });
});
