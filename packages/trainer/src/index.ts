export {
  currentBackend,
  initBackend,
  parseBackendPreference,
  type TBackendInfo,
  type TBackendPreference,
} from "./backend";
export { DEFAULT_CONFIG, resolveConfig } from "./config";
export { classWeights, DataError, stratifiedSplit, validateData } from "./data";
export { loadDataFolder, loadFerplus, locateFerplus, parseLabelCsv, readFerplusSplit } from "./dataset";
export { evaluate, predictProbabilities, type TEvaluateOptions } from "./evaluate";
export { loadGeneric } from "./generic";
export { loadModel, readModelMetadata, saveModel, type TModelMetadata } from "./io";
export { accuracyOf, calibration, classReports, confusionMatrix, macroF1 } from "./metrics";
export { buildModel, MODEL_NAMES, type TModelConfig, type TModelName } from "./models";
export { decodePngInto } from "./png";
export { mixSeed, Rng } from "./rng";
export {
  EMOTION_CLASSES,
  ferplusTargets,
  majorityLabels,
  SCHEMES,
  type TScheme,
  type TSmoothing,
} from "./targets";
export { train } from "./train";
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
