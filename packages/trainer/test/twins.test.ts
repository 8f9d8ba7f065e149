// The figures without train twins: the metric on a hand-built case, evaluate() against a plain evaluation of
// the twin-free faces, the marks found from pixels, and on the real FER+ folder the counts the importer reports.
import { existsSync } from "node:fs";
import path from "node:path";
import { hashFaces } from "@concord/importer/twins";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { PIXELS } from "../src/data/augment";
import { loadFerplus } from "../src/data/ferplus-folder";
import { subsetImages } from "../src/data/train-data";
import { describeTwins, withTrainTwins } from "../src/data/train-twins";
import { evaluate } from "../src/evaluation/evaluate";
import { twinFreeMetrics } from "../src/evaluation/metrics";
import { train } from "../src/loop/train";
import { toyData } from "./helpers";

describe("twinFreeMetrics on a hand-built case", () => {
  // Rows:    0      1     2      3     4     5       6 (no label: skipped, its twin not counted)
  const labels = [0, 0, 1, 1, 2, 2, -1];
  const preds = [0, 0, 1, 0, 2, 1, 1];
  const twins = ["EXACT", null, "NEAR", null, null, "EXACT", "EXACT"] as const;

  it("leaves out the exact and near twins and scores the rest", () => {
    const m = twinFreeMetrics(labels, preds, twins, ["a", "b", "c"]);
    // Kept: rows 1 (a->a), 3 (b->a), 4 (c->c). a: P 1/2 R 1 F1 2/3; b: F1 0; c: F1 1.
    expect(m.n).toBe(3);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.macroF1).toBeCloseTo((2 / 3 + 0 + 1) / 3, 12);
    expect(m.twins).toEqual({ exact: 2, exactOrNear: 3 });
  });

  it("equals the whole split when no face has a twin, and refuses misaligned marks", () => {
    const none = twinFreeMetrics(
      labels,
      preds,
      labels.map(() => null),
      ["a", "b", "c"],
    );
    expect(none.n).toBe(6);
    expect(none.accuracy).toBeCloseTo(4 / 6, 12);
    expect(none.twins).toEqual({ exact: 0, exactOrNear: 0 });
    expect(() => twinFreeMetrics(labels, preds, twins.slice(1), ["a", "b", "c"])).toThrow(/twin marks/);
  });
});

describe("evaluate with train twins", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
  });

  // Valid = the toy valid faces, then an exact copy of train face 0 and a brightened copy of train face 1.
  const data = toyData(12, 4);
  const valid = data.valid!;
  const n = valid.labels.length;
  const pixels = new Uint8Array((n + 2) * PIXELS);
  pixels.set(valid.pixels);
  pixels.set(data.train.pixels.subarray(0, PIXELS), n * PIXELS);
  pixels.set(
    data.train.pixels.subarray(PIXELS, 2 * PIXELS).map((v) => Math.min(255, v + 10)),
    (n + 1) * PIXELS,
  );
  const labels = Int32Array.from([...valid.labels, data.train.labels[0]!, data.train.labels[1]!]);

  it("finds the planted twins from the pixels", () => {
    const set = withTrainTwins({ pixels, labels }, hashFaces(data.train.pixels));
    expect(set.trainTwins!.slice(n)).toEqual(["EXACT", "NEAR"]);
    expect(set.trainTwins!.slice(0, n).every((t) => t === null)).toBe(true);
    expect(describeTwins(set, "toy/train")).toBe("1 have an exact twin in toy/train, 2 an exact or near one");
  });

  it("reports the twin-free figures of a plain evaluation of the faces without twins", async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [48, 48, 1] }),
        tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: "randomNormal" }),
      ],
    });
    const set = withTrainTwins({ pixels, labels }, hashFaces(data.train.pixels));
    const whole = await evaluate(model, set, "valid", { labels: data.classNames });
    const alone = await evaluate(
      model,
      subsetImages(
        set,
        Array.from({ length: n }, (_, i) => i),
      ),
      "valid",
      { labels: data.classNames },
    );
    expect(whole.n).toBe(n + 2);
    expect(whole.withoutTrainTwins).toEqual({
      n,
      accuracy: alone.accuracy,
      macroF1: alone.macroF1,
      twins: { exact: 1, exactOrNear: 2 },
    });
    expect(alone.withoutTrainTwins).toBeNull();
    model.dispose();
  });

  it("a run without a valid split reports its hold-out without the hold-out's twins in train", async () => {
    // Every train face twice: a held-out face keeps its copy in the faces trained on.
    const d = toyData(12, 6);
    const twice = (a: Uint8Array) => {
      const out = new Uint8Array(a.length * 2);
      out.set(a);
      out.set(a, a.length);
      return out;
    };
    const r = await train(
      {
        classNames: d.classNames,
        train: {
          pixels: twice(d.train.pixels),
          labels: Int32Array.from([...d.train.labels, ...d.train.labels]),
          targets: Float32Array.from([...d.train.targets, ...d.train.targets]),
        },
      },
      { model: "fast-lite", epochs: 1, batchSize: 8, seed: 3, validationFraction: 0.25 },
    );
    const free = r.valid?.withoutTrainTwins;
    expect(free?.twins.exact).toBeGreaterThan(0);
    expect(free?.n).toBe(r.valid!.n - free!.twins.exactOrNear);
    expect(r.history[0]?.validWithoutTrainTwins).toEqual(free);
    r.model.dispose();
  });
});

const shared = process.env.CONCORD_SHARED ?? path.resolve(import.meta.dirname, "../../../../shared");
const ferplus = path.join(shared, "datasets/ferplus");
if (!existsSync(ferplus))
  console.warn(`skipping the FER+ twin counts: ${ferplus} not found (set CONCORD_SHARED)`);

describe.skipIf(!existsSync(ferplus))("FER+ Valid's twins in Train (../shared/datasets/ferplus)", () => {
  it("finds what the importer's leak guard reports: 279 exact, 539 exact or near", async () => {
    const lines: string[] = [];
    const t0 = performance.now();
    const d = await loadFerplus(ferplus, {
      scheme: "majority",
      eps: 0,
      smoothing: "crowd",
      log: (l) => lines.push(l),
    });
    const line = lines.find((l) => l.startsWith("[trainer] FER2013Valid:"));
    console.log(`${line} (${((performance.now() - t0) / 1000).toFixed(1)} s to read and hash both splits)`);
    // The whole split in the log; the data holds the 3,191 faces with a majority label, 475 of them twinned.
    expect(line).toContain("279 have an exact twin in FER2013Train, 539 an exact or near one");
    const twins = d.valid!.trainTwins!;
    expect(twins).toHaveLength(3191);
    expect(twins.filter((t) => t === "EXACT")).toHaveLength(245);
    expect(twins.filter((t) => t !== null)).toHaveLength(475);
  }, 300_000);
});
