/** Dirichlet-mixture prior over an item's vote distribution, fit on past items (see fitDirichletMixture). */
export type TDirichletMixture = {
  /** Mixture weights, length K, sum 1. */
  weights: Float64Array;
  /** K x numClasses Dirichlet parameters, row-major. */
  alphas: Float64Array;
  numClasses: number;
};

export type TStoppingOptions = {
  /** Required probability that the predicted label equals the label the full panel would give. Default 0.99. */
  targetConfidence?: number;
  /** Panel size whose plurality we predict; also a hard cap (never ask beyond it). Default 10. */
  maxVotes?: number;
  /** Never stop before this many votes. Default 1. */
  minVotes?: number;
  /**
   * Prior on the item's vote distribution: a fitted Dirichlet mixture, or plain Dirichlet pseudo-counts
   * (e.g. a model's predicted distribution times a concentration). Default: symmetric Dirichlet(1).
   */
  prior?: TDirichletMixture | ArrayLike<number>;
};

export type TStoppingDecision = {
  needsMore: boolean;
  /** Label we would publish now: the most probable final plurality. */
  label: number;
  /** P(final plurality = label), ties in the final panel counted as 1/k. */
  confidence: number;
  /** P(final plurality = c) for every class. */
  probabilities: Float64Array;
  votes: number;
  reason: "confident" | "max-votes" | "below-min-votes" | "uncertain";
};

/** Dynamic-overlap stopping rule: given an item's counts so far, do we need another vote? */
export function needsMoreVotes(
  _counts: ArrayLike<number>,
  _options: TStoppingOptions = {},
): TStoppingDecision {
  throw new Error("needsMoreVotes: implementation lands in the next commit");
}

/** Fits a K-component Dirichlet mixture to full count vectors (numItems x numClasses) by EM. */
export function fitDirichletMixture(
  _counts: ArrayLike<number>,
  _numClasses: number,
  _options: { components?: number; iterations?: number } = {},
): TDirichletMixture {
  throw new Error("fitDirichletMixture: implementation lands in the next commit");
}
