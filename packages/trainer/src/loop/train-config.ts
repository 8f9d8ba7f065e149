import {
  drawsTargets,
  leverProblem,
  PREDATING_LEVERS,
  RUN_SCHEDULES,
  rebalanceFromOf,
  type TTrainingConfig,
  ZTrainingConfig,
} from "@concord/jobs/run-config";
import { MODEL_NAMES } from "../model/model-factories";
import type { TTrainConfig } from "../types";

type TRunFields =
  | "model"
  | "epochs"
  | "batchSize"
  | "optimizer"
  | "learningRate"
  | "seed"
  | "augment"
  | "earlyStoppingPatience"
  | "classWeighting"
  | "classBalanceBeta"
  | "sampleTargets"
  | "schedule"
  | "warmupEpochs"
  | "emaDecay"
  | "mixupAlpha"
  | "cutmixAlpha"
  | "logitAdjustTau"
  | "rebalanceFromEpoch"
  | "ttaEval";

/**
 * A run config's hyperparameters (@concord/jobs, the one contract the admin form, the worker and concord-train
 * share) as the training loop names them.
 */
export function trainConfigOf(run: TTrainingConfig): Pick<TTrainConfig, TRunFields> {
  return {
    model: run.model,
    epochs: run.epochs,
    batchSize: run.batchSize,
    optimizer: run.optimizer,
    learningRate: run.learningRate,
    seed: run.seed,
    augment: run.augment,
    earlyStoppingPatience: run.patience,
    classWeighting: run.classWeighting,
    classBalanceBeta: run.classBalanceBeta,
    // PLD: a one-hot drawn from each target every epoch.
    sampleTargets: drawsTargets(run.scheme),
    schedule: run.schedule,
    warmupEpochs: run.warmupEpochs,
    emaDecay: run.ema,
    mixupAlpha: run.mixup,
    cutmixAlpha: run.cutmix,
    logitAdjustTau: run.logitAdjust,
    rebalanceFromEpoch: run.rebalanceFrom,
    ttaEval: run.ttaEval,
  };
}

/**
 * The default CPU recipe (see README): the run config's defaults (fast-wide net, Adam 1e-3, FER+ augmentation, 24
 * cosine epochs after a warm-up epoch, weight EMA, mirror TTA in selection, early stop, the class-balanced loss
 * over the last quarter of the epochs: `rebalanceFromEpoch` 0 = auto, resolved by `resolveConfig`) plus what only the loop
 * knows (SGD momentum, the plateau's halving when a run picks that schedule, the held-out fraction, threads).
 */
export const DEFAULT_CONFIG: TTrainConfig = {
  ...trainConfigOf(ZTrainingConfig.parse({})),
  momentum: 0.9,
  weightDecay: 0,
  reduceLrFactor: 0.5,
  reduceLrPatience: 2,
  minLearningRate: 1e-5,
  validationFraction: 0.1,
  workers: 1,
};

/** PREDATING_LEVERS in the loop's names: what a checkpoint written before the levers existed trained with. */
export const PREDATING_TRAIN_LEVERS = {
  classWeighting: PREDATING_LEVERS.classWeighting,
  classBalanceBeta: PREDATING_LEVERS.classBalanceBeta,
  rebalanceFromEpoch: PREDATING_LEVERS.rebalanceFrom,
  schedule: PREDATING_LEVERS.schedule,
  warmupEpochs: PREDATING_LEVERS.warmupEpochs,
  emaDecay: PREDATING_LEVERS.ema,
  mixupAlpha: PREDATING_LEVERS.mixup,
  cutmixAlpha: PREDATING_LEVERS.cutmix,
  logitAdjustTau: PREDATING_LEVERS.logitAdjust,
  ttaEval: PREDATING_LEVERS.ttaEval,
} as const satisfies Partial<TTrainConfig>;

/** Fills defaults and rejects nonsense with a message naming the field. */
export function resolveConfig(partial: Partial<TTrainConfig> = {}): TTrainConfig {
  const c: TTrainConfig = {
    ...DEFAULT_CONFIG,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  const fail = (field: string, why: string) => {
    throw new Error(`invalid training config: ${field} ${why}`);
  };
  if (!MODEL_NAMES.includes(c.model))
    fail("model", `must be one of ${MODEL_NAMES.join(", ")} (got ${c.model})`);
  if (!Number.isInteger(c.epochs) || c.epochs < 1) fail("epochs", "must be an integer >= 1");
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) fail("batchSize", "must be an integer >= 1");
  if (c.optimizer !== "adam" && c.optimizer !== "sgd") fail("optimizer", "must be adam or sgd");
  if (!(c.learningRate > 0)) fail("learningRate", "must be > 0");
  if (!(c.momentum >= 0 && c.momentum < 1)) fail("momentum", "must be in [0, 1)");
  if (!(c.weightDecay >= 0)) fail("weightDecay", "must be >= 0");
  if (!Number.isInteger(c.seed)) fail("seed", "must be an integer");
  if (!(c.reduceLrFactor > 0 && c.reduceLrFactor <= 1)) fail("reduceLrFactor", "must be in (0, 1]");
  if (!(c.validationFraction > 0 && c.validationFraction < 1))
    fail("validationFraction", "must be in (0, 1)");
  if (!Number.isInteger(c.workers) || c.workers < 1 || c.workers > 16)
    fail("workers", "must be an integer in 1..16");
  if (!RUN_SCHEDULES.includes(c.schedule)) fail("schedule", `must be one of ${RUN_SCHEDULES.join(", ")}`);
  if (!Number.isInteger(c.warmupEpochs) || c.warmupEpochs < 0)
    fail("warmupEpochs", "must be an integer >= 0");
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) fail("emaDecay", "must be in [0, 1) (0 = off)");
  if (!(c.mixupAlpha >= 0 && Number.isFinite(c.mixupAlpha))) fail("mixupAlpha", "must be >= 0 (0 = off)");
  if (!(c.cutmixAlpha >= 0 && Number.isFinite(c.cutmixAlpha))) fail("cutmixAlpha", "must be >= 0 (0 = off)");
  if (!(c.logitAdjustTau >= 0 && Number.isFinite(c.logitAdjustTau)))
    fail("logitAdjustTau", "must be >= 0 (0 = off)");
  if (!Number.isInteger(c.rebalanceFromEpoch) || c.rebalanceFromEpoch < 0)
    fail("rebalanceFromEpoch", "must be an integer >= 0 (0 = auto, 1 = every epoch)");
  // 0 (auto): the last quarter of this run's epochs, resolved once here, so the loop, the checkpoint and the
  // report hold the epoch it trained with.
  c.rebalanceFromEpoch = rebalanceFromOf({
    epochs: c.epochs,
    rebalanceFrom: c.rebalanceFromEpoch,
    classWeighting: c.classWeighting,
    logitAdjust: c.logitAdjustTau,
  });
  if (!(c.classBalanceBeta >= 0 && c.classBalanceBeta <= 1))
    fail("classBalanceBeta", "must be in [0, 1] (1 = inverse frequency)");
  const problem = leverProblem({
    epochs: c.epochs,
    rebalanceFrom: c.rebalanceFromEpoch,
    classWeighting: c.classWeighting,
    logitAdjust: c.logitAdjustTau,
  });
  if (problem) fail("rebalanceFromEpoch", problem.message.replace(/^\w+: /, ""));
  return c;
}
