import type { TTwinKind } from "@concord/importer/twins";
import type { TDecisionReport, TRunSchedule } from "@concord/jobs/run-config";
import type * as tf from "@tensorflow/tfjs";
import type { TModelName } from "./model/model-factories";

/** Images are 48x48 8-bit grayscale, row-major, concatenated: pixels.length = N * 48 * 48. */
export type TImageSet = {
  pixels: Uint8Array;
  labels: Int32Array;
  /**
   * Evaluation splits: row for row, the face's twin in the train split ("EXACT" same pixels, "NEAR" within the
   * leak guard's perceptual-hash threshold, null none), from @concord/importer/twins. With it, an evaluation
   * also reports the split without its train twins.
   */
  trainTwins?: readonly (TTwinKind | null)[];
};
export type TTrainSet = TImageSet & {
  /** N x C training targets (soft labels, already smoothed); rows sum to 1. */
  targets: Float32Array;
};
export type TTrainData = {
  classNames: readonly string[];
  train: TTrainSet;
  valid?: TImageSet;
  test?: TImageSet;
};

export type TOptimizerName = "adam" | "sgd";
export type TScheduleName = TRunSchedule;
export type TTrainConfig = {
  model: TModelName;
  epochs: number;
  batchSize: number;
  optimizer: TOptimizerName;
  learningRate: number;
  /** SGD momentum (Nesterov off). */
  momentum: number;
  weightDecay: number;
  seed: number;
  augment: boolean;
  /** ReduceLROnPlateau on the monitored metric: factor, patience (epochs), floor. */
  reduceLrFactor: number;
  reduceLrPatience: number;
  minLearningRate: number;
  /** EarlyStopping patience in epochs (restores the best weights); 0 disables. */
  earlyStoppingPatience: number;
  /** Weight each example's loss by the inverse (effective) frequency of its training label (normalised to mean 1). */
  classWeighting: boolean;
  /**
   * Class-balanced loss (Cui et al. 2019): with the class weighting, a class's weight is 1 / its effective
   * number (1 - beta^n) / (1 - beta); 1 = inverse frequency (the limit), 0 = equal weights.
   */
  classBalanceBeta: number;
  /** When no valid split is given, hold out this fraction of train, stratified by label. */
  validationFraction: number;
  /** FER+ PLD: each epoch, train on a one-hot drawn from every target row instead of the row itself. */
  sampleTargets: boolean;
  /** Number of data-parallel gradient workers (worker_threads, one WASM instance each); 1 = in-process. */
  workers: number;
  /** Learning-rate schedule (see lrAt in loop/lr-schedule.ts): plateau halving or per-batch cosine decay. */
  schedule: TScheduleName;
  /** Linear warm-up per batch over this many epochs, from WARMUP_START x the rate; 0 = none. */
  warmupEpochs: number;
  /** EMA decay of all weights (BN moving statistics included), updated every step; 0 = off. */
  emaDecay: number;
  /** Mixup Beta(alpha, alpha) per batch on standardised images, soft targets and example weights; 0 = off. */
  mixupAlpha: number;
  /** CutMix Beta(alpha, alpha) box per batch (both on: a coin per batch picks mixup or cutmix); 0 = off. */
  cutmixAlpha: number;
  /** Logit adjustment tau: tau * log(class prior of the training targets) added in the training loss; 0 = off. */
  logitAdjustTau: number;
  /**
   * Deferred rebalancing: the first epoch (1-based) whose loss uses the class weighting and the logit
   * adjustment; 1 = every epoch; 0 = auto, the last quarter of the epochs (`rebalanceFromOf`, resolved by
   * `resolveConfig`: a resolved config never holds 0). Above 1 the run does not stop early before it and keeps
   * the best epoch from it on.
   */
  rebalanceFromEpoch: number;
  /** Evaluate (select, report) with test-time augmentation: mean of each face and its mirror. */
  ttaEval: boolean;
};

export type TBatchProgress = {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
  /** Seconds left for the whole run at the current speed. */
  etaSeconds: number;
};

export type TEpochMetrics = {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  validLoss: number | null;
  validAccuracy: number | null;
  validMacroF1: number | null;
  /** The same valid figures without the faces that have a train twin; null when twins are unknown. */
  validWithoutTrainTwins: TTwinFreeMetrics | null;
  learningRate: number;
  seconds: number;
  imagesPerSecond: number;
  /** CPU seconds this process spent on the epoch (training and validation, all threads, worker threads too). */
  cpuSeconds?: number;
};

export type TTrainHooks = {
  /** Directory for per-epoch checkpoints (weights, optimizer state, epoch, RNG state, callback state). */
  checkpointDir?: string;
  /** Resume from the checkpoint in checkpointDir when one exists. */
  resume?: boolean;
  /** Checked every batch: an abort stops within one batch and rejects with an AbortError. */
  signal?: AbortSignal;
  onBatch?: (progress: TBatchProgress) => void;
  onEpoch?: (metrics: TEpochMetrics) => void | Promise<void>;
  log?: (line: string) => void;
};

export type TClassReport = { label: string; precision: number; recall: number; f1: number; support: number };
export type TCalibration = {
  ece: number;
  bins: { lower: number; upper: number; count: number; confidence: number; accuracy: number }[];
};
/**
 * An evaluation over the faces of a split that have no exact or near twin in the train split. `twins`: the
 * labelled faces left out, with an exact twin and with an exact or near one (n = whole n - exactOrNear).
 */
export type TTwinFreeMetrics = {
  n: number;
  accuracy: number;
  macroF1: number;
  twins: { exact: number; exactOrNear: number };
};
export type TEvaluation = {
  split: string;
  labels: readonly string[];
  n: number;
  accuracy: number;
  loss: number;
  macroF1: number;
  ece: number;
  /** confusion[true][pred] */
  confusion: number[][];
  perClass: TClassReport[];
  calibration: TCalibration;
  tta: boolean;
  /** accuracy and macro-F1 without the split's train twins; null when the twins are unknown (or n/a: train). */
  withoutTrainTwins: TTwinFreeMetrics | null;
  /**
   * The same predictions decided with per-class decision biases (evaluation/decision-biases.ts): cross-fitted
   * on the split they were fitted on, applied as stored elsewhere. Absent or null: the model has none.
   */
  decisions?: TDecisionReport | null;
};

export type TTrainResult = {
  model: tf.LayersModel;
  backend: string;
  history: TEpochMetrics[];
  bestEpoch: number;
  stoppedEarly: boolean;
  seconds: number;
  valid: TEvaluation | null;
  test: TEvaluation | null;
  config: TTrainConfig;
};
