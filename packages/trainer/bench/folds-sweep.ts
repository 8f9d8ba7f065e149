/**
 * How many cross-fit folds a predict job should use (issue 12: "K >= 2, default chosen by measurement").
 * Cross-fitting with K folds trains K fold models, each on (K-1)/K of the training faces, and each predicts the
 * fold it never saw, exactly as the worker's predict job does (apps/worker/src/jobs/predict.ts: the same
 * stratifiedFolds deal and seed, the run config's recipe, checkpoint selection on Valid). The out-of-sample
 * predictions are what the label-issue finder and model-prior stopping consume, so they are scored here on the
 * faces they predict: accuracy against the crowd's consensus label, the crowd's log-likelihood under them
 * (cross-entropy against the 10-vote distribution: what the finder's prior needs to be right), Brier score and
 * ECE, beside the cost (image-steps and CPU seconds). One budget for every K: a stratified subset of FER+ Train,
 * the same epochs, seed and network.
 * Usage: npx tsx bench/folds-sweep.ts [--data ../shared/datasets/ferplus] [--subset 8000] [--epochs 5]
 *        [--folds 2,3,5] [--model fast] [--workers 2]
 */
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ZTrainingConfig } from "@concord/jobs/run-config";
import { backendLabel, initBackend } from "../src/backend";
import { loadDataFolder } from "../src/data/data-folder";
import { stratifiedFolds, subsetImages, subsetTargets } from "../src/data/train-data";
import { backendOptions, trainerEnv } from "../src/env";
import { predictProbabilities } from "../src/evaluation/evaluate";
import { mixSeed, Rng } from "../src/loop/seeded-rng";
import { train } from "../src/loop/train";
import { trainConfigOf } from "../src/loop/train-config";
import type { TModelName } from "../src/model/model-factories";
import type { TTrainData } from "../src/types";

const repo = path.resolve(import.meta.dirname, "../../..");
const { values: a } = parseArgs({
  options: {
    data: { type: "string", default: path.resolve(repo, "../shared/datasets/ferplus") },
    subset: { type: "string", default: "8000" },
    epochs: { type: "string", default: "5" },
    folds: { type: "string", default: "2,3,5" },
    model: { type: "string", default: "fast" },
    workers: { type: "string", default: "2" },
  },
});
if (!existsSync(a.data as string)) {
  console.error(`no FER+ folder at ${a.data}; pass --data`);
  process.exit(2);
}
const env = trainerEnv();
const backend = await initBackend(env.CONCORD_TF_BACKEND, backendOptions(env));
const run = ZTrainingConfig.parse({ model: a.model, epochs: Number(a.epochs) });
const all = await loadDataFolder(a.data as string, { scheme: run.scheme, eps: run.eps, smoothing: "crowd" });
const C = all.classNames.length;

// A stratified subset of Train (by consensus label), the same for every K.
const rng = new Rng(7);
const byClass = new Map<number, number[]>();
all.train.labels.forEach((l, i) => {
  byClass.set(l, [...(byClass.get(l) ?? []), i]);
});
const want = Math.min(Number(a.subset), all.train.labels.length);
const picked: number[] = [];
for (const items of byClass.values()) {
  rng.shuffle(items);
  picked.push(...items.slice(0, Math.round((items.length * want) / all.train.labels.length)));
}
picked.sort((x, y) => x - y);
const train0 = { ...subsetImages(all.train, picked), targets: subsetTargets(all.train.targets, C, picked) };
const N = picked.length;
console.log(
  `model ${run.model}, ${N} of ${all.train.labels.length} FER2013Train faces (stratified), ${run.epochs} epochs per fold model, ` +
    `scheme ${run.scheme}, seed ${run.seed}, selection on FER2013Valid (${all.valid?.labels.filter((l) => l >= 0).length ?? 0} faces), backend ${backendLabel(backend)}`,
);
console.log(
  "folds  fold model trains on  image-steps  CPU s   wall s  OOS acc   crowd NLL  Brier   ECE     fold models' Valid acc",
);

function scores(probs: Float32Array) {
  let right = 0;
  let nll = 0;
  let brier = 0;
  const bins = Array.from({ length: 10 }, () => ({ n: 0, conf: 0, hit: 0 }));
  for (let i = 0; i < N; i++) {
    const p = probs.subarray(i * C, i * C + C);
    const t = train0.targets.subarray(i * C, i * C + C);
    let top = 0;
    for (let c = 1; c < C; c++) if (p[c]! > p[top]!) top = c;
    const hit = top === train0.labels[i] ? 1 : 0;
    right += hit;
    for (let c = 0; c < C; c++) {
      nll -= t[c]! * Math.log(Math.max(p[c]!, 1e-7));
      brier += (p[c]! - (c === train0.labels[i] ? 1 : 0)) ** 2;
    }
    const b = bins[Math.min(9, Math.floor(p[top]! * 10))]!;
    b.n++;
    b.conf += p[top]!;
    b.hit += hit;
  }
  const ece = bins.reduce((s, b) => s + Math.abs(b.hit - b.conf), 0) / N;
  return { acc: right / N, nll: nll / N, brier: brier / N, ece };
}

for (const K of (a.folds as string).split(",").map(Number)) {
  const fold = stratifiedFolds(train0.labels, K, mixSeed(run.seed, 0x6f6c64));
  const oos = new Float32Array(N * C);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let steps = 0;
  const foldAcc: string[] = [];
  for (let k = 0; k < K; k++) {
    const kept: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < N; i++) (fold[i] === k ? held : kept).push(i);
    const data: TTrainData = {
      classNames: all.classNames,
      train: { ...subsetImages(train0, kept), targets: subsetTargets(train0.targets, C, kept) },
      ...(all.valid ? { valid: all.valid } : {}),
    };
    const r = await train(
      data,
      { ...trainConfigOf(run), model: run.model as TModelName, workers: Number(a.workers) },
      { log: () => {} },
    );
    steps += kept.length * r.history.length;
    foldAcc.push(`${((r.valid?.accuracy ?? 0) * 100).toFixed(1)}`);
    const p = await predictProbabilities(r.model, subsetImages(train0, held).pixels, {
      threads: Number(a.workers),
    });
    held.forEach((i, j) => {
      oos.set(p.subarray(j * C, j * C + C), i * C);
    });
    r.model.dispose();
  }
  const used = process.cpuUsage(cpu);
  const s = scores(oos);
  console.log(
    `${String(K).padStart(5)}  ${`${kept(K)} faces`.padStart(20)}  ${String(steps).padStart(11)}  ${((used.user + used.system) / 1e6).toFixed(0).padStart(5)}  ${((performance.now() - t0) / 1000).toFixed(0).padStart(7)}  ${(s.acc * 100).toFixed(2).padStart(6)}%  ${s.nll.toFixed(4).padStart(9)}  ${s.brier.toFixed(4)}  ${s.ece.toFixed(4)}  ${foldAcc.join(" / ")}  (load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")})`,
  );
}

function kept(K: number): number {
  return Math.round((N * (K - 1)) / K);
}
