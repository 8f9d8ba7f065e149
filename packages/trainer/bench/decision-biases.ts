// Per-class decision biases for macro-F1 on a predictions file, without the model (issue 14):
//   npx tsx bench/decision-biases.ts --predictions valid.csv [--data <FER+ folder>] [--splits 20]
// The predictions are concord-eval --predictions' (or the web app's export) for FER2013Valid. The fitting and the
// cross-fitted report are the trainer's own (src/evaluation/decision-biases.ts: what a run does after training,
// and concord-eval --fit-decision-biases on a model); this script adds the in-sample figure, to show how much
// fitting and scoring on the same faces flatters, and each halving's figures.
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
} from "../src/evaluation/decision-biases";
import { classReports, confusionMatrix, macroF1 } from "../src/evaluation/metrics";

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
