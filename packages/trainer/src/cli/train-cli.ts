import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { TWIN_RULE } from "@concord/importer/twins";
import {
  checkpointSelectionOf,
  DEFAULT_RUN_CONFIG,
  drawsTargets,
  leverProblem,
  RUN_SCHEDULES,
  RUN_SCHEMES,
  resolveScheme,
  SCHEME_ALIASES,
  SCHEME_PAPER_NAMES,
  ZTrainingConfig,
} from "@concord/jobs/run-config";
import { loadDataFolder } from "../data/data-folder";
import type { TSmoothing } from "../data/scheme-targets";
import { DataError } from "../data/train-data";
import { TrainerEnvError, trainerEnv } from "../env";
import { storedDecisionBiases } from "../evaluation/decision-biases";
import { train } from "../loop/train";
import { DEFAULT_CONFIG } from "../loop/train-config";
import { MODEL_NAMES, type TModelName } from "../model/model-factories";
import { saveModel, type TModelMetadata } from "../model/model-io";
import type { TEvaluation, TOptimizerName } from "../types";
import { BACKEND_FLAGS, initBackendFromFlags } from "./backend-flags";
import { formatEvaluation } from "./evaluation-table";
import { progressPrinter } from "./progress-printer";

const D = DEFAULT_CONFIG;
const onOff = (on: boolean) => (on ? "on" : "off");
const USAGE = `usage: concord-train --data <FER+ folder | generic folder (PNGs + votes.csv)> [options]
  The defaults (in parentheses) are the best recipe measured on FER+ (packages/trainer/README.md, Training levers:
  its seeds' accuracy and macro-F1 on FER2013Valid; --model fast trains in about 0.56x the time, a point lower).
  After training, per-class decision biases are fitted on the selection split, reported there cross-fitted beside
  the argmax figures and saved with the model. Every lever can be set off: --schedule plateau --warmup-epochs 0
  --ema 0 --no-tta-eval --no-class-weighting (with --epochs 30: the earlier plateau recipe).
  --model ${MODEL_NAMES.join("|")} (${D.model})    --scheme ${RUN_SCHEMES.join("|")} (${DEFAULT_RUN_CONFIG.scheme})
      FER+ paper: ${RUN_SCHEMES.map((s) => `${s} = ${SCHEME_PAPER_NAMES[s]}`).join(", ")}; old names ${Object.keys(SCHEME_ALIASES).join(", ")} still work (deprecated)
  --eps <0..1> (${DEFAULT_RUN_CONFIG.eps})  --smoothing crowd|uniform (crowd)   --epochs N (${D.epochs})  --batch-size N (${D.batchSize})
  --optimizer adam|sgd (${D.optimizer})  --lr X (${D.learningRate})  --momentum X (${D.momentum})  --weight-decay X (${D.weightDecay})
  --patience N (${D.earlyStoppingPatience})  --lr-patience N (${D.reduceLrPatience}; plateau only)  --no-augment  --seed N (${D.seed})  --workers N (2: data-parallel, one WASM per core)
  --schedule ${RUN_SCHEDULES.join("|")} (${D.schedule})  --warmup-epochs N (${D.warmupEpochs}; 0 = none)  --ema DECAY (${D.emaDecay}; 0 = off)  --mixup ALPHA (${D.mixupAlpha}; 0 = off, e.g. 0.2)
  --cutmix ALPHA (${D.cutmixAlpha}; 0 = off, e.g. 1)  --logit-adjust TAU (${D.logitAdjustTau}; 0 = off, e.g. 1)
  --class-weighting | --no-class-weighting (${onOff(D.classWeighting)}: weight each face's loss by 1 / its class's effective number)
  --class-balance-beta B (${D.classBalanceBeta}; 1 = inverse frequency, 0 = equal weights)
  --rebalance-from EPOCH (${D.rebalanceFromEpoch === 0 ? "0 = auto: the last quarter of the epochs, 19 of 24" : D.rebalanceFromEpoch}; 1 = every epoch; > 1 defers the class weighting / --logit-adjust to that epoch and keeps the last epoch)
  --tta-eval | --no-tta-eval (${onOff(D.ttaEval)}: select and report on image + mirror)
  --out DIR (.runs/<time>)  --checkpoint DIR (<out>/checkpoint)  --resume  --limit N  --backend auto|wasm|tfjs-node|tfjs-node-gpu|cpu  --force-cpu`;

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new DataError(`--${name} must be a number (got "${v}")`);
  return n;
}

/** A new lever's value, validated by the run config's own field (the form and the worker use the same). */
function runField<K extends keyof typeof ZTrainingConfig.shape>(key: K, flag: string, v: string | undefined) {
  if (v === undefined) return undefined;
  const n = key === "schedule" ? v : num(v, flag);
  const r = ZTrainingConfig.shape[key].safeParse(n);
  if (!r.success) throw new DataError(`--${flag}: ${r.error.issues[0]?.message ?? "invalid"}`);
  return r.data as Exclude<(typeof ZTrainingConfig)["_output"][K], undefined>;
}

async function main(): Promise<void> {
  const env = trainerEnv();
  const { values: a } = parseArgs({
    options: {
      data: { type: "string" },
      model: { type: "string", default: D.model },
      scheme: { type: "string", default: DEFAULT_RUN_CONFIG.scheme },
      eps: { type: "string" },
      smoothing: { type: "string", default: "crowd" },
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      optimizer: { type: "string" },
      lr: { type: "string" },
      momentum: { type: "string" },
      "weight-decay": { type: "string" },
      patience: { type: "string" },
      "lr-patience": { type: "string" },
      // Neither flag: the run config's default.
      "class-weighting": { type: "boolean" },
      "no-class-weighting": { type: "boolean" },
      "no-augment": { type: "boolean", default: false },
      seed: { type: "string" },
      workers: { type: "string", default: "2" },
      schedule: { type: "string" },
      "warmup-epochs": { type: "string" },
      ema: { type: "string" },
      mixup: { type: "string" },
      cutmix: { type: "string" },
      "logit-adjust": { type: "string" },
      "rebalance-from": { type: "string" },
      "class-balance-beta": { type: "string" },
      // Neither flag: the run config's default (on).
      "tta-eval": { type: "boolean" },
      "no-tta-eval": { type: "boolean" },
      out: { type: "string" },
      checkpoint: { type: "string" },
      resume: { type: "boolean", default: false },
      limit: { type: "string" },
      ...BACKEND_FLAGS,
      help: { type: "boolean", default: false },
    },
  });
  if (a.help || !a.data) {
    console.error(USAGE);
    process.exit(a.help ? 0 : 2);
  }
  if (!MODEL_NAMES.includes(a.model as TModelName))
    throw new DataError(`--model must be one of ${MODEL_NAMES.join(", ")}`);
  const resolved = resolveScheme(a.scheme);
  if (!resolved) throw new DataError(`--scheme must be one of ${RUN_SCHEMES.join(", ")}`);
  const { scheme } = resolved;
  if (resolved.alias)
    console.error(
      `concord-train: --scheme ${resolved.alias} is deprecated; use --scheme ${scheme} (FER+ ${SCHEME_PAPER_NAMES[scheme]})`,
    );
  if (a.smoothing !== "crowd" && a.smoothing !== "uniform")
    throw new DataError("--smoothing must be crowd or uniform");
  if (a["tta-eval"] && a["no-tta-eval"])
    throw new DataError("--tta-eval and --no-tta-eval: give one of them");
  if (a["class-weighting"] && a["no-class-weighting"])
    throw new DataError("--class-weighting and --no-class-weighting: give one of them");
  const classWeighting = a["class-weighting"] ? true : a["no-class-weighting"] ? false : D.classWeighting;
  // Checked before the data loads: the run config's fields (issue 14's training levers).
  const levers = {
    schedule: runField("schedule", "schedule", a.schedule),
    warmupEpochs: runField("warmupEpochs", "warmup-epochs", a["warmup-epochs"]),
    emaDecay: runField("ema", "ema", a.ema),
    mixupAlpha: runField("mixup", "mixup", a.mixup),
    cutmixAlpha: runField("cutmix", "cutmix", a.cutmix),
    logitAdjustTau: runField("logitAdjust", "logit-adjust", a["logit-adjust"]),
    rebalanceFromEpoch: runField("rebalanceFrom", "rebalance-from", a["rebalance-from"]),
    classBalanceBeta: runField("classBalanceBeta", "class-balance-beta", a["class-balance-beta"]),
    ttaEval: a["tta-eval"] ? true : a["no-tta-eval"] ? false : undefined,
  };
  const problem = leverProblem({
    epochs: num(a.epochs, "epochs") ?? D.epochs,
    rebalanceFrom: levers.rebalanceFromEpoch ?? D.rebalanceFromEpoch,
    classWeighting,
    logitAdjust: levers.logitAdjustTau ?? D.logitAdjustTau,
  });
  if (problem) {
    throw new DataError(`--rebalance-from: ${problem.message.replace(/^\w+: /, "")}`);
  }
  const backend = await initBackendFromFlags(a, env);
  const out = path.resolve(a.out ?? path.join(".runs", new Date().toISOString().replace(/[:.]/g, "-")));
  const started = Date.now();
  const eps = num(a.eps, "eps") ?? DEFAULT_RUN_CONFIG.eps;
  const data = await loadDataFolder(path.resolve(a.data), {
    scheme,
    eps,
    smoothing: a.smoothing as TSmoothing,
    limit: num(a.limit, "limit"),
    log: (l) => console.error(l),
  });
  await mkdir(out, { recursive: true });
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort(new Error("interrupted (SIGINT)")));
  process.once("SIGTERM", () => controller.abort(new Error("terminated (SIGTERM)")));
  const epochs: unknown[] = [];
  const result = await train(
    data,
    {
      model: a.model as TModelName,
      epochs: num(a.epochs, "epochs"),
      batchSize: num(a["batch-size"], "batch-size"),
      optimizer: a.optimizer as TOptimizerName | undefined,
      learningRate: num(a.lr, "lr"),
      momentum: num(a.momentum, "momentum"),
      weightDecay: num(a["weight-decay"], "weight-decay"),
      earlyStoppingPatience: num(a.patience, "patience"),
      reduceLrPatience: num(a["lr-patience"], "lr-patience"),
      classWeighting,
      augment: !a["no-augment"],
      seed: num(a.seed, "seed"),
      workers: num(a.workers, "workers"),
      sampleTargets: drawsTargets(scheme),
      ...levers,
    },
    {
      checkpointDir: path.resolve(a.checkpoint ?? path.join(out, "checkpoint")),
      resume: a.resume,
      signal: controller.signal,
      onBatch: progressPrinter(),
      onEpoch: async (m) => {
        epochs.push(m);
        const free = m.validWithoutTrainTwins;
        console.error(
          `epoch ${m.epoch}: loss ${m.loss.toFixed(4)} train-acc ${(m.trainAccuracy * 100).toFixed(2)}% valid-acc ${((m.validAccuracy ?? 0) * 100).toFixed(2)}% valid-macroF1 ${(m.validMacroF1 ?? 0).toFixed(4)}${free ? ` (without train twins, n=${free.n}: ${(free.accuracy * 100).toFixed(2)}% / ${free.macroF1.toFixed(4)})` : ""} lr ${m.learningRate} ${m.seconds.toFixed(0)}s (cpu ${(m.cpuSeconds ?? 0).toFixed(0)}s) ${m.imagesPerSecond.toFixed(1)} img/s`,
        );
        await writeFile(path.join(out, "history.json"), JSON.stringify(epochs, null, 2));
      },
      log: (l) => console.error(l),
    },
  );
  const validName = data.names.valid ?? result.valid?.split ?? "valid";
  const rename = (e: TEvaluation | null, name: string) =>
    e
      ? {
          ...e,
          split: name,
          ...(e.decisions && e.decisions.fittedOn === result.valid?.split
            ? { decisions: { ...e.decisions, fittedOn: validName } }
            : {}),
        }
      : null;
  const report = {
    data: path.resolve(a.data),
    scheme,
    eps,
    smoothing: a.smoothing,
    backend: backend.name,
    nativeKernels: backend.nativeKernels ?? false,
    nativeSgemm: backend.nativeSgemm ?? null,
    config: result.config,
    trainImages: data.train.labels.length,
    bestEpoch: result.bestEpoch,
    checkpointSelectedOn: checkpointSelectionOf({
      holdout: !data.valid,
      ttaEval: result.config.ttaEval,
      rebalanceFrom: result.config.rebalanceFromEpoch,
    }),
    twinRule: TWIN_RULE,
    stoppedEarly: result.stoppedEarly,
    trainSeconds: result.seconds,
    wallSeconds: (Date.now() - started) / 1000,
    history: result.history,
    valid: rename(result.valid, data.valid ? validName : (result.valid?.split ?? "valid")),
    test: rename(result.test, data.names.test ?? "test"),
  };
  const decisionBiases = report.valid?.decisions
    ? { ...storedDecisionBiases(report.valid.decisions), fittedOn: report.valid.split }
    : null;
  // train()'s metadata (classes, network, logit adjustment), the biases named by the split's name here.
  await saveModel(result.model, path.join(out, "model"), {
    ...(result.model.getUserDefinedMetadata() as TModelMetadata),
    ...(decisionBiases ? { decisionBiases } : {}),
  });
  await writeFile(path.join(out, "report.json"), JSON.stringify(report, null, 2));
  if (report.valid) console.log(formatEvaluation(report.valid, report.checkpointSelectedOn));
  if (report.test) console.log(formatEvaluation(report.test));
  console.log(`model: ${path.join(out, "model")}  report: ${path.join(out, "report.json")}`);
}

main().catch((e: Error) => {
  console.error(`concord-train: ${e.message}`);
  process.exit(e instanceof DataError || e instanceof TrainerEnvError ? 2 : 1);
});
