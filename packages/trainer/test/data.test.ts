import { existsSync } from "node:fs";
import path from "node:path";
import { ferplusProcess } from "@concord/crowd";
import { RUN_SCHEMES, ZTrainingConfig } from "@concord/jobs/run-config";
import { describe, expect, it } from "vitest";
import { augmentInto, FERPLUS_AUGMENT, makeBatch, PIXELS } from "../src/data/augment";
import { inExternalIdOrder, loadFerplus, parseLabelCsv, readFerplusSplit } from "../src/data/ferplus-folder";
import { ferplusTargets, majorityLabels } from "../src/data/ferplus-targets";
import { classWeights, stratifiedFolds, stratifiedSplit } from "../src/data/train-data";
import { Rng } from "../src/loop/seeded-rng";
import { resolveConfig, trainConfigOf } from "../src/loop/train-config";

const shared = process.env.CONCORD_SHARED ?? path.resolve(import.meta.dirname, "../../../../shared");
const ferplus = path.join(shared, "datasets/ferplus");

describe("label.csv", () => {
  it("parses FER+ rows", () => {
    const r = parseLabelCsv('fer0000000.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,0\n', "label.csv");
    expect(r.files).toEqual(["fer0000000.png"]);
    expect(Array.from(r.counts)).toEqual([4, 0, 0, 1, 3, 2, 0, 0, 0, 0]);
  });
  it("puts rows in externalId order (file name without .png, code units), the worker's order", () => {
    const names = ["fer2.png", "Fer1.png", "fer_1.png", "fer10.PNG"];
    const text = names.map((f, i) => `${f},"(0, 0, 48, 48)",${i},0,0,0,0,0,0,0,0,${i}`).join("\n");
    const r = inExternalIdOrder(parseLabelCsv(text, "label.csv"));
    // A locale compare would put "fer_1" or "Fer1" elsewhere; "F" < "f" and "1" < "2" < "_" by code unit.
    expect(r.files).toEqual(["Fer1.png", "fer10.PNG", "fer2.png", "fer_1.png"]);
    expect(Array.from(r.counts.filter((_, k) => k % 10 === 0))).toEqual([1, 3, 0, 2]);
    expect(Array.from(r.counts.filter((_, k) => k % 10 === 9))).toEqual([1, 3, 0, 2]);
  });
  it("names the file and line of bad rows", () => {
    const text =
      'a.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,0\nb.png,"(0, 0, 48, 48)",4,0,x,1,3,2,0,0,0,0\nc.png,4,0\n';
    expect(() => parseLabelCsv(text, "label.csv")).toThrow(
      /2 bad row\(s\) in label.csv[\s\S]*label.csv:2:[\s\S]*label.csv:3:/,
    );
  });
});

describe("targets via @concord/crowd", () => {
  // Face 0: 6 neutral, 4 happy; face 1: 5/3/2 (no majority: 5 is not > half); face 2: mostly not-a-face.
  const counts = Float64Array.from([
    6, 4, 0, 0, 0, 0, 0, 0, 0, 0, 5, 3, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9,
  ]);
  it("uses majority labels for evaluation", () => {
    expect(Array.from(majorityLabels(counts, 3))).toEqual([0, -1, -1]);
  });
  it("builds crowd-smoothed targets that sum to 1 and drops excluded faces", () => {
    const t = ferplusTargets(counts, 3, { scheme: "crossentropy", eps: 0.5, smoothing: "crowd" });
    expect(t.kept).toEqual([0, 1]);
    expect(t.targets[0]).toBeCloseTo(0.5 + 0.5 * 0.6, 6);
    expect(t.targets[1]).toBeCloseTo(0.5 * 0.4, 6);
    // Face 1: FER+ keeps 5 and 3 (75% of votes reached), so q = (5/8, 3/8).
    expect(t.targets[8]).toBeCloseTo(0.5 + 0.5 * (5 / 8), 6);
    expect(t.targets[10]).toBeCloseTo(0, 6);
    for (let i = 0; i < 2; i++)
      expect(t.targets.slice(i * 8, i * 8 + 8).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});

describe("eps means the same for every scheme", () => {
  // 6/4; 5/3/2 (no FER+ majority); 4/3/2/1 (the single vote is an outlier); 3 votes each on 3 classes + 1.
  const counts = Float64Array.from([
    6, 4, 0, 0, 0, 0, 0, 0, 0, 0, 5, 3, 2, 0, 0, 0, 0, 0, 0, 0, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 0,
    0, 0, 0, 0, 1,
  ]);
  const MODE = {
    majority: "majority",
    probability: "probability",
    crossentropy: "crossentropy",
    multitarget: "multi_target",
  } as const;
  it.each(RUN_SCHEMES)("%s: (1 - eps) * onehot(consensus) + eps * q for eps 0, 0.3, 1", (scheme) => {
    for (const eps of [0, 0.3, 1]) {
      const t = ferplusTargets(counts, 4, { scheme, eps, smoothing: "crowd" });
      expect(t.kept.length).toBeGreaterThan(0);
      t.kept.forEach((face, k) => {
        const d = ferplusProcess(counts.subarray(face * 10, face * 10 + 10), MODE[scheme])!;
        const raw = Array.from(counts.subarray(face * 10, face * 10 + 8));
        const total = raw.reduce((a, b) => a + b, 0);
        // q: the crowd's vote shares for majority (its own distribution is one-hot), the scheme's otherwise.
        const q = scheme === "majority" ? raw.map((x) => x / total) : Array.from(d);
        const y = t.labels[k]!;
        expect(d[y]).toBe(Math.max(...d));
        for (let c = 0; c < 8; c++)
          expect(t.targets[k * 8 + c]).toBeCloseTo((c === y ? 1 - eps : 0) + eps * q[c]!, 6);
      });
    }
  });
  it("keeps the faces each FER+ mode keeps and draws one-hots only for probability (PLD)", () => {
    const kept = (scheme: (typeof RUN_SCHEMES)[number]) =>
      ferplusTargets(counts, 4, { scheme, eps: 1, smoothing: "crowd" }).kept;
    expect(kept("majority")).toEqual([0]);
    expect(kept("crossentropy")).toEqual([0, 1, 2, 3]);
    expect(kept("probability")).toEqual(kept("crossentropy"));
    // multi-target: classes with >= 30% of the votes; face 3's three 3-vote classes are each 30%.
    expect(kept("multitarget")).toEqual([0, 1, 2, 3]);
    const ml = ferplusTargets(counts, 4, { scheme: "multitarget", eps: 1, smoothing: "crowd" });
    expect(Array.from(ml.targets.subarray(8, 16), (x) => Number(x.toFixed(4)))).toEqual([
      0.625, 0.375, 0, 0, 0, 0, 0, 0,
    ]);
    for (const scheme of RUN_SCHEMES) {
      const c = resolveConfig(trainConfigOf({ ...trainingConfig(), scheme }));
      expect(c.sampleTargets).toBe(scheme === "probability");
    }
  });
});

function trainingConfig() {
  return {
    ...ZTrainingConfig.parse({}),
    model: "fast" as const,
    scheme: "crossentropy" as const,
    eps: 1,
    epochs: 1,
    patience: 0,
    learningRate: 0.001,
    batchSize: 8,
    seed: 1,
    optimizer: "adam" as const,
    augment: false,
    classWeighting: false,
  };
}

describe("split, weights, augmentation", () => {
  it("holds out a stratified, seeded fraction per class", () => {
    const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : 1));
    const a = stratifiedSplit(labels, 0.1, 1);
    expect(a.valid.filter((i) => labels[i] === 0)).toHaveLength(8);
    expect(a.valid.filter((i) => labels[i] === 1)).toHaveLength(2);
    expect(a.train.length + a.valid.length).toBe(100);
    expect(stratifiedSplit(labels, 0.1, 1)).toEqual(a);
    expect(stratifiedSplit(labels, 0.1, 2).valid).not.toEqual(a.valid);
  });
  it("deals seeded, stratified cross-fit folds of near-equal size", () => {
    // 23 of class 0, 9 of class 1, 5 unlabelled (-1): 37 items into 5 folds.
    const labels = Int32Array.from({ length: 37 }, (_, i) => (i < 23 ? 0 : i < 32 ? 1 : -1));
    const fold = stratifiedFolds(labels, 5, 3);
    const sizes = (pick: (i: number) => boolean) =>
      [0, 1, 2, 3, 4].map((k) => Array.from(fold).filter((f, i) => f === k && pick(i)).length);
    expect(sizes(() => true).sort()).toEqual([7, 7, 7, 8, 8]);
    for (const c of [0, 1, -1]) {
      const per = sizes((i) => labels[i] === c);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
    expect(Array.from(fold).every((f) => f >= 0 && f < 5)).toBe(true);
    expect(stratifiedFolds(labels, 5, 3)).toEqual(fold);
    expect(stratifiedFolds(labels, 5, 4)).not.toEqual(fold);
    expect(() => stratifiedFolds(labels, 1, 3)).toThrow(/folds/);
    expect(() => stratifiedFolds(Int32Array.from([0, 1]), 3, 3)).toThrow(/cannot fill/);
  });
  it("weights classes by inverse frequency with mean 1", () => {
    const w = classWeights(Int32Array.from([0, 0, 0, 1]), 2);
    expect(w[1]! / w[0]!).toBeCloseTo(3, 6);
    expect((3 * w[0]! + w[1]!) / 4).toBeCloseTo(1, 6);
  });
  it("tempers the weights by the effective number of each class (class-balanced loss, beta < 1)", () => {
    const labels = Int32Array.from([0, 0, 0, 1]);
    // beta 0.5: effective numbers (1 - 0.5^3) / 0.5 = 1.75 and (1 - 0.5) / 0.5 = 1 -> weights 1 : 1.75.
    const half = classWeights(labels, 2, 0.5);
    expect(half[1]! / half[0]!).toBeCloseTo(1.75, 6);
    expect((3 * half[0]! + half[1]!) / 4).toBeCloseTo(1, 6);
    expect(Array.from(classWeights(labels, 2, 0))).toEqual([1, 1]);
    // Near 1 it tends to inverse frequency without losing digits (1 - beta^n by expm1).
    const near = classWeights(labels, 2, 1 - 1e-12);
    expect(near[1]! / near[0]!).toBeCloseTo(3, 6);
    expect(classWeights(labels, 2, 1)).toEqual(classWeights(labels, 2));
  });
  it("augments deterministically from the rng state and standardises images", () => {
    const src = Uint8Array.from({ length: PIXELS }, (_, i) => (i * 7) % 256);
    const a = new Float32Array(PIXELS);
    const b = new Float32Array(PIXELS);
    augmentInto(src, 0, a, 0, new Rng(9), FERPLUS_AUGMENT);
    augmentInto(src, 0, b, 0, new Rng(9), FERPLUS_AUGMENT);
    expect(b).toEqual(a);
    const batch = makeBatch(src, [0], new Rng(3));
    const mean = batch.reduce((s, v) => s + v, 0) / PIXELS;
    expect(Math.abs(mean)).toBeLessThan(1e-4);
  });
});

describe.skipIf(!existsSync(ferplus))("FER+ folder (../shared/datasets/ferplus)", () => {
  it("loads train targets and majority-labelled valid images", async () => {
    const d = await loadFerplus(ferplus, { scheme: "majority", eps: 0, smoothing: "crowd", limit: 50 });
    expect(d.classNames).toHaveLength(8);
    expect(d.train.pixels.length).toBe(d.train.labels.length * PIXELS);
    // Valid: the faces of the first 50 (externalId order) with a majority label, the only ones scored.
    const first50 = await readFerplusSplit(path.join(ferplus, "FER2013Valid"), 50);
    const labelled = majorityLabels(first50.counts, 50).filter((l) => l >= 0);
    expect(labelled.length).toBeLessThan(50);
    expect(Array.from(d.valid!.labels)).toEqual(Array.from(labelled));
    expect(d.names).toEqual({ train: "FER2013Train", valid: "FER2013Valid" });
  });
  it("rejects a folder that is not FER+", async () => {
    await expect(loadFerplus(shared, { scheme: "crossentropy", eps: 1, smoothing: "crowd" })).rejects.toThrow(
      /not a FER\+ folder/,
    );
    await expect(
      loadFerplus("/nonexistent", { scheme: "crossentropy", eps: 1, smoothing: "crowd" }),
    ).rejects.toThrow(/does not exist/);
  });
});
if (!existsSync(ferplus))
  console.warn(`skipping FER+ folder tests: ${ferplus} not found (set CONCORD_SHARED)`);
