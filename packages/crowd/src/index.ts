export { aggregate, isMethod } from "./aggregate.js";
export {
  fleissKappa,
  itemAgreement,
  itemEntropy,
  krippendorffAlpha,
  perClassAgreement,
  percentAgreement,
  type TClassAgreement,
  type TFleissKappa,
  type TKrippendorffAlpha,
} from "./agreement.js";
export {
  accuracyOnGold,
  annotatorStats,
  type TAnnotatorStats,
  type TGoldAccuracy,
  workerGoldAccuracy,
} from "./annotators.js";
export {
  DEFAULT_DUPLICATE_POLICY,
  DUPLICATE_POLICIES,
  describeDuplicates,
  isDuplicatePolicy,
  resolveDuplicates,
  type TDuplicatePolicy,
  type TDuplicateReport,
} from "./duplicates.js";
export {
  FERPLUS_EMOTIONS,
  FERPLUS_LABELS,
  FERPLUS_NOT_A_FACE,
  FERPLUS_UNKNOWN,
  type TFerplusLabel,
} from "./labels.js";
export { createRng } from "./methods/common.js";
export { ferplusProcess, ferplusTarget, type TFerplusMode } from "./methods/ferplus.js";
export { createStoppingPlan, planDecision, type TStoppingPlan } from "./optimal-stopping.js";
export {
  bayesPolicy,
  leadPolicy,
  simulateOverlap,
  type TOverlapPolicy,
  type TOverlapStats,
} from "./overlap-simulation.js";
export {
  dirichletPluralityProbabilities,
  fitPanelPrior,
  panelPluralityProbabilities,
  pluralityCredit,
  type TPanelPrior,
  type TReference,
} from "./plurality.js";
export { smoothTargets, softLabels, softLabelsFrom, type TSmoothTargetsInput } from "./soft-labels.js";
export { needsMoreVotes, type TStoppingDecision, type TStoppingOptions } from "./stopping.js";
export {
  METHODS,
  type TAggregateOptions,
  type TAggregateResult,
  type TGoldInput,
  type TMethod,
  type TTally,
  type TVote,
  type TVoteColumns,
  type TVoteSet,
  type TVoteSetInput,
} from "./types.js";
export { buildVoteSet, goldToArray, itemCounts, VoteSetError } from "./vote-set.js";
