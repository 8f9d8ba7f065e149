// The package's public API: what apps/worker and the README example use. Benches, bins and tests import
// the folders directly.
export { backendLabel, initBackend, type TBackendInfo, type TInitOptions } from "./backend";
export { loadDataFolder } from "./data/data-folder";
export { EMOTION_CLASSES, ferplusTargets, majorityLabels } from "./data/ferplus-targets";
export { schemeTargets, type TSchemeTargetsInput, type TSmoothing } from "./data/scheme-targets";
export {
  classWeights,
  DataError,
  stratifiedFolds,
  stratifiedSplit,
  subsetImages,
  subsetTargets,
} from "./data/train-data";
export {
  backendOptions,
  type TBackendPreference,
  TrainerEnvError,
  type TTrainerEnv,
  trainerEnv,
  ZTrainerEnv,
} from "./env";
export {
  classWeightsOf,
  crowdAdjustmentOf,
  crowdProbabilities,
  logitAdjustmentOf,
  predictCrowdProbabilities,
  type TCrowdAdjustment,
  type TLogitAdjustment,
} from "./evaluation/crowd-probabilities";
export {
  BIAS_GRID,
  decide,
  decisionBiasesOf,
  fitDecisionBiases,
  HALVINGS,
  logProbabilities,
  storedDecisionBiases,
  type TDecisionBiases,
} from "./evaluation/decision-biases";
export {
  createInferencePool,
  evaluate,
  predictProbabilities,
  type TEvaluateOptions,
} from "./evaluation/evaluate";
export { calibration, classReports, confusionMatrix, macroF1, twinFreeMetrics } from "./evaluation/metrics";
export { hasCheckpoint, trainDataDigest } from "./loop/checkpoint";
export { mixSeed, Rng } from "./loop/seeded-rng";
export { train } from "./loop/train";
export { DEFAULT_CONFIG, resolveConfig, trainConfigOf } from "./loop/train-config";
export { buildModel, MODEL_NAMES, type TModelConfig, type TModelName } from "./model/model-factories";
export { loadModel, readModelMetadata, saveModel, type TModelMetadata } from "./model/model-io";
export type {
  TBatchProgress,
  TCalibration,
  TClassReport,
  TEpochMetrics,
  TEvaluation,
  TImageSet,
  TOptimizerName,
  TTrainConfig,
  TTrainData,
  TTrainHooks,
  TTrainResult,
  TTrainSet,
  TTwinFreeMetrics,
} from "./types";
