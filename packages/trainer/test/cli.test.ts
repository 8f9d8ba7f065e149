import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FERPLUS_EMOTIONS, parsePredictionsCsv } from "@concord/crowd";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { readFerplusSplit } from "../src/data/ferplus-folder";
import { crowdProbabilities } from "../src/evaluation/crowd-probabilities";
import { predictProbabilities } from "../src/evaluation/evaluate";
import { saveModel } from "../src/model/model-io";

const bin = path.resolve(import.meta.dirname, "../bin");
const tmp = mkdtempSync(path.join(os.tmpdir(), "concord-cli-"));

function run(cli: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(bin, cli), ...args], {
    encoding: "utf8",
    env: { ...process.env, CONCORD_TF_BACKEND: "wasm", ...env },
  });
  return { code: r.status, err: r.stderr, out: r.stdout };
}

function face(file: string, value: number): void {
  const png = new PNG({ width: 48, height: 48 });
  for (let p = 0; p < 48 * 48; p++) {
    const v = p < 48 * 24 ? value : 255 - value; // top half vs bottom half: a different input per face
    png.data.set([v, v, v, 255], p * 4);
  }
  writeFileSync(file, PNG.sync.write(png));
}

/** concord-eval of a model on the valid split of a folder. */
const evalValid = (model: string, data: string, ...more: string[]) =>
  run("concord-eval.mjs", ["--model", model, "--data", data, "--split", "valid", ...more]);

/** A one-layer 8-emotion model saved with the FER+ class names (what concord-eval accepts). Seeded: two models
 *  must differ by a fixed margin, not by whatever an unseeded draw gives (it once left them 6e-4 apart). */
async function saveTinyFerplusModel(
  dir: string,
  seed = 1,
  extra: Record<string, unknown> = {},
): Promise<tf.LayersModel> {
  const m = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [48, 48, 1] }),
      tf.layers.dense({
        units: 8,
        activation: "softmax",
        kernelInitializer: tf.initializers.randomNormal({ seed }),
      }),
    ],
  });
  await saveModel(m, dir, { classNames: [...FERPLUS_EMOTIONS], modelName: "tiny", inputSize: 48, ...extra });
  return m;
}

describe("CLI errors", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("concord-train names a missing folder and exits 2", () => {
    const r = run("concord-train.mjs", ["--data", path.join(tmp, "nope"), "--epochs", "1"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/concord-train: data folder .*nope does not exist/);
  });

  it("concord-train takes the FER+ scheme names, the old ones with a deprecation line, and refuses others", () => {
    const old = run("concord-train.mjs", ["--data", path.join(tmp, "nope"), "--scheme", "cel"]);
    expect(old.err).toContain(
      "concord-train: --scheme cel is deprecated; use --scheme crossentropy (FER+ CEL)",
    );
    expect(old.err).toMatch(/nope does not exist/);
    const current = run("concord-train.mjs", ["--data", path.join(tmp, "nope"), "--scheme", "multitarget"]);
    expect(current.err).not.toMatch(/deprecated/);
    expect(current.err).toMatch(/nope does not exist/);
    const bad = run("concord-train.mjs", ["--data", tmp, "--scheme", "soft"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      "concord-train: --scheme must be one of majority, probability, crossentropy, multitarget",
    );
  });

  it("concord-train checks the training levers with the run config's rules before reading data", () => {
    const cases: [string, string, string][] = [
      ["--ema", "1", "--ema: ema: < 1"],
      ["--schedule", "step", "--schedule: schedule: one of plateau, cosine"],
      ["--warmup-epochs", "1.5", "--warmup-epochs: warmupEpochs: an integer"],
      ["--mixup=-1", "", "--mixup: mixup: >= 0 (0 = off)"],
      ["--logit-adjust", "x", '--logit-adjust must be a number (got "x")'],
    ];
    for (const [flag, value, message] of cases) {
      const args = value ? [flag, value] : [flag];
      const r = run("concord-train.mjs", ["--data", path.join(tmp, "nope"), ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`concord-train: ${message}`);
      expect(r.err).not.toMatch(/does not exist/);
    }
  });

  it("concord-train checks the class weighting's flags and the deferral's cross-field rule before reading data", () => {
    for (const [args, message] of [
      [
        ["--rebalance-from", "19", "--no-class-weighting"],
        "--rebalance-from: defers class weighting or logit adjustment",
      ],
      [["--rebalance-from", "25", "--class-weighting"], "--rebalance-from: at most epochs (24)"],
      [["--rebalance-from=-1"], "--rebalance-from: rebalanceFrom: >= 0"],
      [["--class-weighting", "--no-class-weighting"], "--class-weighting and --no-class-weighting: give one"],
      [["--class-balance-beta", "2"], "--class-balance-beta: classBalanceBeta: <= 1"],
    ] as [string[], string][]) {
      const r = run("concord-train.mjs", ["--data", path.join(tmp, "nope"), ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`concord-train: ${message}`);
      expect(r.err).not.toMatch(/does not exist/);
    }
    const ok = run("concord-train.mjs", [
      "--data",
      path.join(tmp, "nope"),
      "--rebalance-from",
      "19",
      "--logit-adjust",
      "1",
    ]);
    expect(ok.err).toMatch(/nope does not exist/);
    // The class weighting is on by default: a deferral alone has something to defer.
    const alone = run("concord-train.mjs", ["--data", path.join(tmp, "nope"), "--rebalance-from", "19"]);
    expect(alone.err).toMatch(/nope does not exist/);
  });

  it("concord-train --help shows the levers recipe as the defaults and how to set each lever off", () => {
    const r = run("concord-train.mjs", ["--help"]);
    expect(r.code).toBe(0);
    for (const text of [
      "the best recipe measured on FER+ (packages/trainer/README.md, Training levers",
      "--model seed|vgg13|fast|fast-lite|fast-wide (fast-wide)",
      "--schedule plateau --warmup-epochs 0\n  --ema 0 --no-tta-eval --no-class-weighting (with",
      "--epochs N (24)",
      "--patience N (6)",
      "--schedule plateau|cosine (cosine)",
      "--warmup-epochs N (1; 0 = none)",
      "--ema DECAY (0.999; 0 = off)",
      "--mixup ALPHA (0; 0 = off",
      "--tta-eval | --no-tta-eval (on: ",
      "--class-weighting | --no-class-weighting (on: ",
      "--class-balance-beta B (0.999; ",
      "--rebalance-from EPOCH (0 = auto: the last quarter of the epochs, 19 of 24; ",
    ])
      expect(r.err).toContain(text);
    const both = run("concord-train.mjs", ["--data", path.join(tmp, "nope"), "--tta-eval", "--no-tta-eval"]);
    expect(both.code).toBe(2);
    expect(both.err).toContain("concord-train: --tta-eval and --no-tta-eval: give one of them");
  });

  // Four concord-train/concord-eval processes, each loading tfjs and training or fitting: beside a training on the
  // same two cores that takes more than the default minute.
  it("concord-train trains with the levers on by default and with each one off when told", () => {
    // A tiny FER+ folder: 8 train faces, 4 valid, two emotions by majority.
    const root = path.join(tmp, "tiny");
    const row = (f: string, votes: string) => `${f},"(0, 0, 48, 48)",${votes}\n`;
    for (const [split, n] of [
      ["FER2013Train", 8],
      ["FER2013Valid", 4],
    ] as const) {
      const dir = path.join(root, split);
      mkdirSync(dir, { recursive: true });
      let csv = "";
      for (let i = 0; i < n; i++) {
        csv += row(`f${i}.png`, i % 2 ? "0,9,0,0,0,0,0,1,0,0" : "8,2,0,0,0,0,0,0,0,0");
        face(path.join(dir, `f${i}.png`), i % 2 ? 30 : 220);
      }
      writeFileSync(path.join(dir, "label.csv"), csv);
    }
    const tiny = [
      "--data",
      root,
      "--model",
      "fast-lite",
      "--epochs",
      "1",
      "--batch-size",
      "4",
      "--workers",
      "1",
    ];
    const configOf = (out: string, ...flags: string[]) => {
      const r = run("concord-train.mjs", [...tiny, "--out", path.join(tmp, out), ...flags]);
      expect(r.code, r.err).toBe(0);
      return JSON.parse(readFileSync(path.join(tmp, out, "report.json"), "utf8")) as {
        config: Record<string, unknown>;
        checkpointSelectedOn: string;
      };
    };
    const on = configOf("levers-on");
    expect(on.config).toMatchObject({ schedule: "cosine", warmupEpochs: 1, emaDecay: 0.999, ttaEval: true });
    // The class weighting is on by default, and auto (0) resolves to the last quarter of one epoch: epoch 1.
    expect(on.config).toMatchObject({
      classWeighting: true,
      classBalanceBeta: 0.999,
      rebalanceFromEpoch: 1,
    });
    expect(on.checkpointSelectedOn).toContain("(mirror TTA)");
    const off = configOf(
      "levers-off",
      "--schedule",
      "plateau",
      "--warmup-epochs",
      "0",
      "--ema",
      "0",
      "--no-tta-eval",
      "--no-class-weighting",
    );
    expect(off.config).toMatchObject({ schedule: "plateau", warmupEpochs: 0, emaDecay: 0, ttaEval: false });
    expect(off.config).toMatchObject({ classWeighting: false, rebalanceFromEpoch: 1 });
    expect(off.checkpointSelectedOn).not.toContain("mirror");

    // Decision biases: fitted on FER2013Valid, reported there cross-fitted, saved with the model under that
    // name; concord-eval on the same faces cross-fits again, never scores them in-sample.
    const report = JSON.parse(readFileSync(path.join(tmp, "levers-on", "report.json"), "utf8"));
    expect(report.valid.decisions).toMatchObject({
      protocol: "cross-fitted",
      fittedOn: "FER2013Valid",
      n: 4,
    });
    const model = path.join(tmp, "levers-on", "model");
    const meta = JSON.parse(readFileSync(path.join(model, "model.json"), "utf8")).userDefinedMetadata;
    expect(meta.decisionBiases).toMatchObject({
      fittedOn: "FER2013Valid",
      biases: report.valid.decisions.biases,
    });
    const e = evalValid(model, root, "--tta");
    expect(e.code, e.err).toBe(0);
    expect(e.out).toContain(
      "decided with per-class biases, fitted on this split (FER2013Valid) and scored cross-fitted",
    );
    const other = evalValid(path.join(tmp, "levers-off", "model"), root, "--fit-decision-biases");
    expect(other.code, other.err).toBe(0);
    expect(other.out).toContain("fitted on this split (FER2013Valid) and scored cross-fitted");
  }, 180_000);

  it("concord-train names a malformed trainer variable and exits 2", () => {
    const r = run("concord-train.mjs", ["--data", tmp, "--epochs", "1"], { CONCORD_NATIVE_KERNELS: "off" });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /concord-train: @concord\/trainer: invalid environment\n.*\n\s+→ at CONCORD_NATIVE_KERNELS/,
    );
  });

  it("concord-train lists bad label.csv rows with file and line", () => {
    const dir = path.join(tmp, "FER2013Train");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, "label.csv"),
      'a.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,0\nb.png,"(0, 0, 48, 48)",4,0,0,1\n',
    );
    const r = run("concord-train.mjs", ["--data", tmp, "--epochs", "1"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/1 bad row\(s\) in .*label.csv[\s\S]*label.csv:2:/);
  });

  it("concord-eval rejects a model with the wrong number of classes", async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [48, 48, 1] }),
        tf.layers.dense({ units: 3, activation: "softmax" }),
      ],
    });
    await saveModel(m, path.join(tmp, "model"));
    const dir = path.join(tmp, "FER2013Valid");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "label.csv"), 'a.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,0\n');
    const r = evalValid(path.join(tmp, "model"), tmp);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/incompatible model .*model: 3 outputs/);
  });

  it("concord-eval prints the split whole and without its train twins, side by side, with n", async () => {
    const root = path.join(tmp, "twins");
    const train = path.join(root, "FER2013Train");
    const valid = path.join(root, "FER2013Valid");
    mkdirSync(train, { recursive: true });
    mkdirSync(valid, { recursive: true });
    const row = (f: string, votes: string) => `${f},"(0, 0, 48, 48)",${votes}\n`;
    writeFileSync(
      path.join(train, "label.csv"),
      row("t1.png", "10,0,0,0,0,0,0,0,0,0") + row("t2.png", "0,10,0,0,0,0,0,0,0,0"),
    );
    face(path.join(train, "t1.png"), 20);
    face(path.join(train, "t2.png"), 128);
    // a.png: t1's pixels (an exact twin); c.png: no twin.
    writeFileSync(
      path.join(valid, "label.csv"),
      row("a.png", "10,0,0,0,0,0,0,0,0,0") + row("c.png", "0,0,10,0,0,0,0,0,0,0"),
    );
    face(path.join(valid, "a.png"), 20);
    face(path.join(valid, "c.png"), 240);
    await saveTinyFerplusModel(path.join(root, "model"));
    const r = evalValid(path.join(root, "model"), root);
    expect(r.code).toBe(0);
    expect(r.err).toContain("1 have an exact twin in FER2013Train, 1 an exact or near one");
    expect(r.out).toMatch(/whole split\s+2 /);
    expect(r.out).toMatch(/without train twins\s+1 .* left out: 1 \(1 exact, 0 near\)/);
    expect(r.out).toContain("choose a run's checkpoint on Valid accuracy over the whole split");
    expect(r.out).toContain("keeps the last epoch (a deferred rebalancing is not selected on))");
    // Without FER2013Train beside it the twin-free figures are not computed, and the output says so.
    const alone = path.join(tmp, "valid-alone");
    cpSync(valid, path.join(alone, "FER2013Valid"), { recursive: true });
    const a = evalValid(path.join(root, "model"), alone);
    expect(a.code).toBe(0);
    expect(a.err).toContain("no FER2013Train/ in --data: the figures without train twins are not computed");
    expect(a.out).toMatch(/without train twins\s+not computed/);
  });

  it("concord-eval --predictions writes every face's 8-class distribution in the export format", async () => {
    const root = path.join(tmp, "preds");
    const dir = path.join(root, "FER2013Valid");
    mkdirSync(dir, { recursive: true });
    // b.png has no majority (4 of 10 votes at most): evaluation skips it, the predictions keep it.
    writeFileSync(
      path.join(dir, "label.csv"),
      'a.png,"(0, 0, 48, 48)",0,9,0,1,0,0,0,0,0,0\nb.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,0\nc.png,"(0, 0, 48, 48)",0,0,10,0,0,0,0,0,0,0\n',
    );
    face(path.join(dir, "a.png"), 20);
    face(path.join(dir, "b.png"), 128);
    face(path.join(dir, "c.png"), 240);
    const m = await saveTinyFerplusModel(path.join(root, "model"));
    const out = path.join(root, "predictions.csv");
    const r = evalValid(path.join(root, "model"), root, "--predictions", out);
    expect(r.err).toMatch(/wrote 3 predictions of FER2013Valid/);
    expect(r.code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text.split("\n")[0]).toBe(
      "image,split,p_neutral,p_happiness,p_surprise,p_sadness,p_anger,p_disgust,p_fear,p_contempt",
    );
    const p = parsePredictionsCsv(text, out);
    expect(p.images).toEqual(["a.png", "b.png", "c.png"]);
    expect(p.splits).toEqual(["VALID", "VALID", "VALID"]);
    // The same network on the same pixels in this process (6 significant digits in the file).
    const split = await readFerplusSplit(dir);
    const expected = await predictProbabilities(m, split.pixels);
    for (let j = 0; j < expected.length; j++) expect(p.probs[j]).toBeCloseTo(expected[j] as number, 5);
    expect(p.probs[0]).not.toBeCloseTo(p.probs[16] as number, 3); // rows differ: the faces differ
  });

  it("concord-eval with two --model scores and writes the mean of the two models' probabilities", async () => {
    const root = path.join(tmp, "ensemble");
    const dir = path.join(root, "FER2013Valid");
    mkdirSync(dir, { recursive: true });
    const votes = [
      "0,9,0,1,0,0,0,0,0,0",
      "4,0,0,1,3,2,0,0,0,0",
      "0,0,10,0,0,0,0,0,0,0",
      "0,0,0,0,0,0,0,10,0,0",
    ];
    writeFileSync(
      path.join(dir, "label.csv"),
      votes.map((v, i) => `f${i}.png,"(0, 0, 48, 48)",${v}\n`).join(""),
    );
    votes.forEach((_, i) => {
      face(path.join(dir, `f${i}.png`), 30 + 60 * i);
    });
    const m1 = await saveTinyFerplusModel(path.join(root, "m1"));
    // m2 was trained with the logit-adjusted loss: the file gets its crowd probabilities, the score its own.
    const logitAdjustment = { tau: 0.5, prior: [0.34, 0.27, 0.12, 0.14, 0.09, 0.01, 0.02, 0.01] };
    const m2 = await saveTinyFerplusModel(path.join(root, "m2"), 2, { logitAdjustment });
    const out = path.join(root, "predictions.csv");
    const json = path.join(root, "report.json");
    const r = run("concord-eval.mjs", [
      ...["--model", path.join(root, "m1"), "--model", path.join(root, "m2"), "--data", root],
      ...["--split", "valid", "--tta", "--predictions", out, "--json", json],
    ]);
    expect(r.err).toMatch(/wrote 4 predictions of FER2013Valid/);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      "ensemble of 2 models: the mean of their class probabilities (each with mirror TTA)",
    );
    // By hand in this process: each model's mirror-TTA probabilities, then their mean.
    const split = await readFerplusSplit(dir);
    const p1 = await predictProbabilities(m1, split.pixels, { tta: true });
    const p2 = await predictProbabilities(m2, split.pixels, { tta: true });
    const mean = p1.map((v, i) => (v + (p2[i] as number)) / 2);
    const crowd2 = crowdProbabilities(p2, { logitAdjustment, classWeights: null });
    const crowdMean = p1.map((v, i) => (v + (crowd2[i] as number)) / 2);
    const p = parsePredictionsCsv(readFileSync(out, "utf8"), out);
    for (let j = 0; j < mean.length; j++) expect(p.probs[j]).toBeCloseTo(crowdMean[j] as number, 5);
    expect(Math.max(...mean.map((v, j) => Math.abs(v - (crowdMean[j] as number))))).toBeGreaterThan(1e-2);
    expect(Math.abs((p1[0] as number) - (p2[0] as number))).toBeGreaterThan(1e-3); // the two models differ (0.0067 with seeds 1 and 2)
    // The report scores the 3 faces with a majority (f1 has none) on the mean's argmax.
    const report = JSON.parse(readFileSync(json, "utf8"));
    expect(report.models).toEqual([path.join(root, "m1"), path.join(root, "m2")]);
    expect(report.n).toBe(3);
    expect(report.tta).toBe(true);
    const labels = [1, 2, 7];
    const argmax = (k: number) => {
      let best = 0;
      for (let c = 1; c < 8; c++) if ((mean[k * 8 + c] as number) > (mean[k * 8 + best] as number)) best = c;
      return best;
    };
    const right = [0, 2, 3].filter((k, i) => argmax(k) === labels[i]).length;
    expect(report.accuracy).toBeCloseTo(right / 3, 10);
  });

  it("concord-eval refuses an ensemble member that is not a FER+ model, naming it", async () => {
    const root = path.join(tmp, "ensemble");
    const bad = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [48, 48, 1] }),
        tf.layers.dense({ units: 3, activation: "softmax" }),
      ],
    });
    await saveModel(bad, path.join(root, "bad"), {
      classNames: ["a", "b", "c"],
      modelName: "bad",
      inputSize: 48,
    });
    const r = run("concord-eval.mjs", [
      ...[
        "--model",
        path.join(root, "m1"),
        "--model",
        path.join(root, "bad"),
        "--data",
        root,
        "--split",
        "valid",
      ],
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`incompatible model ${path.join(root, "bad")}: 3 outputs`);
  });
});
