// Per-class decision biases for macro-F1 on a predictions file, without the model (issue 14):
//   npx tsx bench/decision-biases.ts --predictions valid.csv [--data <FER+ folder>] [--splits 20] [--bagged B]
// The predictions are concord-eval --predictions' (or the web app's export) for FER2013Valid. The fitting and the
// cross-fitted report are the trainer's own (src/evaluation/decision-biases.ts: what a run does after training,
// and concord-eval --fit-decision-biases on a model); this script adds the in-sample figure, to show how much
// fitting and scoring on the same faces flatters. --bagged B adds a candidate rule, not what runs do: biases
// averaged over B bootstrap fits of the fitting half, scored cross-fitted on the same halvings as the run's rule,
// face for face, with the number of halvings each rule wins. --posthoc-tau adds another: one parameter instead of
// seven, post-hoc logit adjustment b_c = -tau log pi_c (pi: the fitting half's label shares), tau on a 0.05 grid in
// [0, 2] under the same rule (the best macro-F1 that keeps the half's argmax accuracy).
// FER+ majority protocol: the emotion holding > half of the votes once single votes are dropped (8 emotions).
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { FERPLUS_EMOTIONS, ferplusProcess, parsePredictionsCsv, predictionRowFinder } from "@concord/crowd";
import {
  crossFitDecisions,
  decide,
  fitDecisionBiases,
  logProbabilities,
  randomHalvings,
} from "../src/evaluation/decision-biases";
import { classReports, confusionMatrix, macroF1 } from "../src/evaluation/metrics";
import { Rng } from "../src/loop/seeded-rng";

const { values: a } = parseArgs({
  options: {
    predictions: { type: "string" },
    data: {
      type: "string",
      default: path.resolve(import.meta.dirname, "../../../../shared/datasets/ferplus"),
    },
    splits: { type: "string", default: "20" },
    bagged: { type: "string" },
    "posthoc-tau": { type: "boolean", default: false },
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
const probs: number[] = [];
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
  probs.push(...preds.probs.subarray(r * K, r * K + K));
  truth.push(best);
}

const p = Float32Array.from(probs);
const labels = Int32Array.from(truth);
const logp = logProbabilities(p);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const f1s = (f: number[]) => f.map((x) => x.toFixed(2)).join(" ");
function scoreOf(decided: Int32Array) {
  const reports = classReports(confusionMatrix(labels, decided, K), FERPLUS_EMOTIONS);
  const right = decided.reduce((s, y, i) => s + (y === labels[i] ? 1 : 0), 0);
  return { accuracy: right / labels.length, macroF1: macroF1(reports), f1: reports.map((r) => r.f1) };
}
console.log(`${a.predictions}: FER2013Valid, FER+ majority protocol, ${labels.length} faces`);
console.log(`per-class F1 order: ${FERPLUS_EMOTIONS.join(" ")}`);
const base = scoreOf(decide(logp, new Array(K).fill(0)));
console.log(
  `argmax:                   accuracy ${pct(base.accuracy)} macro-F1 ${base.macroF1.toFixed(3)}  [${f1s(base.f1)}]`,
);
const inSample = fitDecisionBiases(logp, labels, K);
const ins = scoreOf(decide(logp, inSample));
console.log(
  `biases fitted on all (in-sample, optimistic): ${pct(ins.accuracy)} macro-F1 ${ins.macroF1.toFixed(3)}  [${f1s(ins.f1)}]  b = ${inSample.join(" ")}`,
);
const cf = crossFitDecisions(p, labels, K, null, Number(a.splits));
console.log(
  `cross-fitted, mean ± SD over ${cf.halvings} random halvings: accuracy ${pct(cf.accuracy)} ± ${(100 * cf.accuracySd!).toFixed(2)}, macro-F1 ${cf.macroF1.toFixed(3)} ± ${cf.macroF1Sd!.toFixed(3)}  [${f1s(cf.perClassF1)}]`,
);

if (a.bagged) {
  const B = Number(a.bagged);
  if (!(Number.isInteger(B) && B >= 2)) {
    console.error("--bagged: a whole number of bootstrap fits, >= 2");
    process.exit(2);
  }
  const boot = new Rng(7);
  const n = labels.length;
  const all = Array.from({ length: n }, (_, i) => i);
  const rules = { plain: new Int32Array(n), bagged: new Int32Array(n) };
  const scores: Record<keyof typeof rules, ReturnType<typeof scoreOf>[]> = { plain: [], bagged: [] };
  for (const half of randomHalvings(n, Number(a.splits))) {
    for (const side of [0, 1]) {
      const fit = all.filter((i) => half[i] !== side);
      const fits = Array.from({ length: B }, () =>
        fitDecisionBiases(
          logp,
          labels,
          K,
          fit.map(() => fit[boot.int(fit.length)] as number),
        ),
      );
      const bagged = Array.from({ length: K }, (_, c) => fits.reduce((s, b) => s + (b[c] as number), 0) / B);
      for (const [rule, bias] of [
        ["plain", fitDecisionBiases(logp, labels, K, fit)],
        ["bagged", bagged],
      ] as const) {
        const d = decide(logp, bias);
        for (let i = 0; i < n; i++) if (half[i] === side) rules[rule][i] = d[i] as number;
      }
    }
    for (const rule of ["plain", "bagged"] as const) scores[rule].push(scoreOf(rules[rule]));
  }
  const avg = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  for (const rule of ["plain", "bagged"] as const)
    console.log(
      `cross-fitted, ${rule === "plain" ? "the run's rule      " : `bagged over ${B} fits`}: accuracy ${pct(avg(scores[rule].map((x) => x.accuracy)))}, macro-F1 ${avg(scores[rule].map((x) => x.macroF1)).toFixed(4)}  [${f1s(scores[rule][0]!.f1.map((_, c) => avg(scores[rule].map((x) => x.f1[c]!))))}]`,
    );
  const wins = scores.bagged.filter((x, h) => x.macroF1 > scores.plain[h]!.macroF1).length;
  console.log(`bagged above the run's rule in macro-F1 on ${wins} of ${scores.plain.length} halvings`);
}

if (a["posthoc-tau"]) {
  const n = labels.length;
  const all = Array.from({ length: n }, (_, i) => i);
  const tauGrid = Array.from({ length: 41 }, (_, k) => k * 0.05);
  const rules = { plain: new Int32Array(n), tau: new Int32Array(n) };
  const scores: Record<keyof typeof rules, ReturnType<typeof scoreOf>[]> = { plain: [], tau: [] };
  const taus: number[] = [];
  const scoreOn = (items: number[], d: Int32Array) => {
    const right = items.reduce((s, i) => s + (d[i] === labels[i] ? 1 : 0), 0);
    const reports = classReports(
      confusionMatrix(
        Int32Array.from(items, (i) => labels[i] as number),
        Int32Array.from(items, (i) => d[i] as number),
        K,
      ),
      FERPLUS_EMOTIONS,
    );
    return { accuracy: right / items.length, macroF1: macroF1(reports) };
  };
  for (const half of randomHalvings(n, Number(a.splits))) {
    for (const side of [0, 1]) {
      const fit = all.filter((i) => half[i] !== side);
      const share = new Array<number>(K).fill(0);
      for (const i of fit) share[labels[i] as number]! += 1 / fit.length;
      const floor = scoreOn(fit, decide(logp, new Array(K).fill(0))).accuracy;
      let best = { tau: 0, f1: -1 };
      for (const tau of tauGrid) {
        const b = share.map((q) => -tau * Math.log(Math.max(q, 1e-4)));
        const sc = scoreOn(fit, decide(logp, b));
        if (sc.accuracy >= floor && sc.macroF1 > best.f1) best = { tau, f1: sc.macroF1 };
      }
      taus.push(best.tau);
      for (const [rule, bias] of [
        ["plain", fitDecisionBiases(logp, labels, K, fit)],
        ["tau", share.map((q) => -best.tau * Math.log(Math.max(q, 1e-4)))],
      ] as const) {
        const d = decide(logp, bias);
        for (let i = 0; i < n; i++) if (half[i] === side) rules[rule][i] = d[i] as number;
      }
    }
    for (const rule of ["plain", "tau"] as const) scores[rule].push(scoreOf(rules[rule]));
  }
  const avg = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const sd = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + (v - avg(x)) ** 2, 0) / (x.length - 1));
  for (const rule of ["plain", "tau"] as const) {
    const acc = scores[rule].map((x) => x.accuracy);
    const f1 = scores[rule].map((x) => x.macroF1);
    console.log(
      `cross-fitted, ${rule === "plain" ? "the run's rule    " : "post-hoc tau log pi"}: accuracy ${pct(avg(acc))} ± ${(100 * sd(acc)).toFixed(2)}, macro-F1 ${avg(f1).toFixed(3)} ± ${sd(f1).toFixed(3)}  [${f1s(scores[rule][0]!.f1.map((_, c) => avg(scores[rule].map((x) => x.f1[c]!))))}]`,
    );
  }
  console.log(
    `fitted tau per half: median ${[...taus].sort((x, y) => x - y)[taus.length >> 1]}, range ${Math.min(...taus).toFixed(2)}-${Math.max(...taus).toFixed(2)}`,
  );
  const wins = scores.tau.filter((x, h) => x.macroF1 > scores.plain[h]!.macroF1).length;
  console.log(`post-hoc tau above the run's rule in macro-F1 on ${wins} of ${scores.plain.length} halvings`);
}
