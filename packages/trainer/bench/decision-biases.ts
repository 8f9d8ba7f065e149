// Per-class decision biases for macro-F1, measured honestly (issue 14):
//   npx tsx bench/decision-biases.ts --predictions valid.csv [--data <FER+ folder>] [--splits 20]
// The predictions are concord-eval --predictions' (or the web app's export) for FER2013Valid. A face's decision
// is argmax_c log p(c) + b_c (b_neutral = 0). The biases are fitted by coordinate ascent (4 sweeps, b_c on a
// 0.25 grid in [-1, 4]) to maximise macro-F1 while keeping the fitting faces' accuracy at least their argmax
// accuracy. Fitting and scoring on the same faces overfits the rare classes (16 contempt faces), so the figure
// that counts is the cross-fitted one: the split is cut in two halves at random, each half is decided with the
// biases fitted on the other, and the pooled decisions are scored; repeated over --splits random cuts.
// FER+ majority protocol: the emotion holding > half of the votes once single votes are dropped (8 emotions).
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  createRng,
  FERPLUS_EMOTIONS,
  ferplusProcess,
  parsePredictionsCsv,
  predictionRowFinder,
} from "@concord/crowd";

const { values: a } = parseArgs({
  options: {
    predictions: { type: "string" },
    data: {
      type: "string",
      default: path.resolve(import.meta.dirname, "../../../../shared/datasets/ferplus"),
    },
    splits: { type: "string", default: "20" },
  },
});
if (!a.predictions) {
  console.error("usage: decision-biases --predictions valid.csv [--data <FER+ folder>] [--splits 20]");
  process.exit(2);
}
const K = FERPLUS_EMOTIONS.length;
const preds = parsePredictionsCsv(readFileSync(a.predictions, "utf8"), a.predictions);
if (preds.classes.join(",") !== FERPLUS_EMOTIONS.join(",")) {
  console.error(
    `${a.predictions}: classes ${preds.classes.join(",")}, expected ${FERPLUS_EMOTIONS.join(",")}`,
  );
  process.exit(2);
}
const rowOf = predictionRowFinder(preds);
const logp: number[][] = [];
const truth: number[] = [];
const labelCsv = path.join(a.data!, "FER2013Valid", "label.csv");
for (const line of readFileSync(labelCsv, "utf8").split("\n")) {
  const f = line.split(",");
  if (f.length < 12) continue;
  const votes = f.slice(f.length - 10).map(Number);
  const d = ferplusProcess(votes, "majority");
  if (!d) continue;
  let best = -1;
  for (let c = 0; c < d.length; c++) if (d[c]! > 0 && (best < 0 || d[c]! > d[best]!)) best = c;
  if (best < 0 || best >= K) continue;
  const r = rowOf(f[0]!);
  if (r === undefined) {
    console.error(`${a.predictions}: no prediction for ${f[0]}`);
    process.exit(2);
  }
  logp.push(Array.from(preds.probs.subarray(r * K, r * K + K), (p) => Math.log(Math.max(p, 1e-7))));
  truth.push(best);
}

function score(items: number[], bias: number[], logits: readonly number[][] = logp) {
  const tp = new Array(K).fill(0);
  const fp = new Array(K).fill(0);
  const fn = new Array(K).fill(0);
  let right = 0;
  for (const i of items) {
    let y = 0;
    const l = logits[i]!;
    for (let c = 1; c < K; c++) if (l[c]! + bias[c]! > l[y]! + bias[y]!) y = c;
    const t = truth[i]!;
    if (y === t) {
      right++;
      tp[t]++;
    } else {
      fp[y]++;
      fn[t]++;
    }
  }
  const f1 = tp.map((x, c) => (2 * x) / Math.max(1, 2 * x + fp[c] + fn[c]));
  return { accuracy: right / items.length, macroF1: f1.reduce((s, x) => s + x, 0) / K, f1 };
}

function fit(items: number[]): number[] {
  const bias = new Array(K).fill(0);
  const floor = score(items, bias).accuracy;
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let c = 1; c < K; c++) {
      let best = { objective: -Infinity, value: bias[c]! };
      for (let g = -1; g <= 4.0001; g += 0.25) {
        bias[c] = g;
        const s = score(items, bias);
        const objective = s.accuracy >= floor ? s.macroF1 : s.accuracy - 1;
        if (objective > best.objective + 1e-9) best = { objective, value: g };
      }
      bias[c] = best.value;
    }
  }
  return bias;
}

const all = truth.map((_, i) => i);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const f1s = (f: number[]) => f.map((x) => x.toFixed(2)).join(" ");
const base = score(all, new Array(K).fill(0));
console.log(`${a.predictions}: FER2013Valid, FER+ majority protocol, ${all.length} faces`);
console.log(`per-class F1 order: ${FERPLUS_EMOTIONS.join(" ")}`);
console.log(
  `argmax:                   accuracy ${pct(base.accuracy)} macro-F1 ${base.macroF1.toFixed(3)}  [${f1s(base.f1)}]`,
);
const inSample = fit(all);
const ins = score(all, inSample);
console.log(
  `biases fitted on all (in-sample, optimistic): ${pct(ins.accuracy)} macro-F1 ${ins.macroF1.toFixed(3)}  [${f1s(ins.f1)}]  b = ${inSample.join(" ")}`,
);
const rng = createRng(2026);
const accs: number[] = [];
const macro: number[] = [];
for (let s = 0; s < Number(a.splits); s++) {
  const half = new Uint8Array(all.length);
  const order = all.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  order.forEach((i, r) => {
    half[i] = r % 2;
  });
  const decided: number[][] = [];
  for (const h of [0, 1]) {
    const b = fit(all.filter((i) => half[i] !== h));
    for (const i of all) if (half[i] === h) decided[i] = logp[i]!.map((v, c) => v + b[c]!);
  }
  // The pooled cross-fitted decisions (their biases already added).
  const cf = score(all, new Array(K).fill(0), decided);
  accs.push(cf.accuracy);
  macro.push(cf.macroF1);
  console.log(
    `cross-fit split ${s + 1}:       accuracy ${pct(cf.accuracy)} macro-F1 ${cf.macroF1.toFixed(3)}  [${f1s(cf.f1)}]`,
  );
}
const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
const sd = (x: number[]) =>
  Math.sqrt(x.reduce((s, v) => s + (v - mean(x)) ** 2, 0) / Math.max(1, x.length - 1));
console.log(
  `cross-fitted, mean ± SD over ${accs.length} random halvings: accuracy ${pct(mean(accs))} ± ${(100 * sd(accs)).toFixed(2)}, macro-F1 ${mean(macro).toFixed(3)} ± ${sd(macro).toFixed(3)}`,
);
