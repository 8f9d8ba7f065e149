export {
  currentBackend,
  initBackend,
  parseBackendPreference,
  type TBackendInfo,
  type TBackendPreference,
} from "./backend";
export { buildModel, MODEL_NAMES, type TModelConfig, type TModelName } from "./models";
export { mixSeed, Rng } from "./rng";
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
} from "./types";
