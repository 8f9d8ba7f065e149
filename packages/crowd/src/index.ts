export { aggregate, isMethod } from "./aggregate";
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
} from "./agreement";
export {
  accuracyOnGold,
  annotatorStats,
  type TAnnotatorStats,
  type TGoldAccuracy,
  workerGoldAccuracy,
} from "./annotators";
export {
  DEFAULT_DUPLICATE_POLICY,
  DUPLICATE_POLICIES,
  describeDuplicates,
  isDuplicatePolicy,
  resolveDuplicates,
  type TDuplicatePolicy,
  type TDuplicateReport,
} from "./duplicates";
export { recoveryAtBudgets, type TRecovery } from "./issue-recovery";
export {
  DEFAULT_LABEL_ISSUE_METHOD,
  findLabelIssues,
  LABEL_ISSUE_METHODS,
  pluralityLabels,
  type TLabelIssueInput,
  type TLabelIssueMethod,
  type TLabelIssueOptions,
  type TLabelIssues,
} from "./label-issues";
export {
  FERPLUS_EMOTIONS,
  FERPLUS_LABELS,
  FERPLUS_NOT_A_FACE,
  FERPLUS_UNKNOWN,
  REJECT_LABELS,
  type TFerplusLabel,
  trainableLabels,
} from "./labels";
export { majorityCompletionProbabilities } from "./majority-completion";
export { createRng } from "./methods/common";
export { ferplusProcess, ferplusTarget, type TFerplusMode } from "./methods/ferplus";
export {
  calibratedClassPrior,
  classConditionals,
  createModelPanelPrior,
  fitModelCalibration,
  modelPanelProbabilities,
  type TModelCalibration,
  type TModelPanelPrior,
} from "./model-panel-prior";
export { createStoppingPlan, planDecision, type TStoppingPlan } from "./optimal-stopping";
export {
  bayesPolicy,
  leadPolicy,
  modelPanelPolicy,
  simulateOverlap,
  type TOverlapPolicy,
  type TOverlapStats,
} from "./overlap-simulation";
export {
  dirichletPluralityProbabilities,
  fitPanelPrior,
  panelPluralityProbabilities,
  pluralityCredit,
  type TPanelPrior,
  type TReference,
} from "./plurality";
export {
  formatPredictionsCsv,
  parsePredictionsCsv,
  predictionRowFinder,
  type TPredictions,
} from "./predictions-csv";
export { smoothTargets, softLabels, softLabelsFrom, type TSmoothTargetsInput } from "./soft-labels";
export {
  needsMoreVotes,
  needsMoreVotesWithModel,
  type TStoppingDecision,
  type TStoppingOptions,
} from "./stopping";
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
} from "./types";
export { buildVoteSet, goldToArray, itemCounts, VoteSetError } from "./vote-set";
