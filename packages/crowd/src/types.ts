import type { TMethod } from "./methods/names";

export { METHODS, type TMethod } from "./methods/names";
/** One identified vote: integer ids, `label` in [0, numClasses). */
export type TVote = { item: number; worker: number; label: number };

/** Column form of many votes (fast path for large imports). */
export type TVoteColumns = { item: ArrayLike<number>; worker: ArrayLike<number>; label: ArrayLike<number> };

/** Vote counts for one item from an external crowd without worker ids (e.g. FER+). */
export type TTally = { item: number; counts: ArrayLike<number> };

export type TVoteSetInput = {
  numClasses: number;
  /** Defaults to 1 + the largest item id seen. */
  numItems?: number;
  /** Defaults to 1 + the largest worker id seen. */
  numWorkers?: number;
  votes?: readonly TVote[] | TVoteColumns;
  /** Anonymous counts, either per item or as a dense numItems x numClasses row-major matrix. */
  tallies?: readonly TTally[] | ArrayLike<number>;
  /** Accept several votes of one worker on one item, each an independent vote. Default false (an error). */
  allowRepeats?: boolean;
};

/**
 * Sparse vote set. Identified votes are sorted by item (CSR via `itemOffsets`) and indexed per worker
 * (`workerOffsets` / `workerVotes`). Anonymous tallies stay as counts: aggregation models them as one
 * population with shared parameters, never as invented annotators.
 */
export type TVoteSet = {
  readonly numItems: number;
  readonly numWorkers: number;
  readonly numClasses: number;
  readonly numVotes: number;
  readonly itemOffsets: Int32Array;
  readonly voteItem: Int32Array;
  readonly voteWorker: Int32Array;
  readonly voteLabel: Int32Array;
  readonly workerOffsets: Int32Array;
  readonly workerVotes: Int32Array;
  /** numItems x numClasses anonymous counts, or null when there are none. */
  readonly tallies: Float64Array | null;
};

/** Gold labels: a dense Int32Array (length numItems, -1 = none) or a list. */
export type TGoldInput = Int32Array | readonly { item: number; label: number }[];

export type TAggregateOptions = {
  /** EM iteration cap (ds, onecoin, glad, mace, wawa/zbs refinement). Default 100. */
  maxIterations?: number;
  /** Stop when no posterior entry (zbs: no skill) moved more than this in the last iteration. Default 1e-3. */
  tolerance?: number;
  /** GLAD and MACE: stop when their objective changed by less than this per vote. Default 1e-6. */
  objectiveTolerance?: number;
  /** Dirichlet pseudo-count added to every parameter count (confusions, priors). Default 0.01. */
  smoothing?: number;
  /** Gold labels used to initialise (or clamp) models that support it. */
  gold?: TGoldInput;
  /** "init": gold only seeds EM (default); "clamp": gold items keep their gold label throughout. */
  goldMode?: "init" | "clamp";
  /** MACE: random restarts besides the one from majority vote; the highest ELBO wins. Default 10. */
  restarts?: number;
  /** Seed for methods with random initialisation (MACE restarts, MV random tie-break). Default 1. */
  seed?: number;
  /** MV hard label on ties: lowest class index (default) or seeded random. Posteriors always split ties. */
  tieBreak?: "lowest" | "random";
};

export type TAggregateResult = {
  method: TMethod;
  numItems: number;
  numClasses: number;
  /** Hard label per item; -1 = no votes or excluded (FER+ schemes). */
  labels: Int32Array;
  /** numItems x numClasses row-major; rows of excluded items are all zero. */
  posteriors: Float64Array;
  classPriors: Float64Array | null;
  /** One scalar per identified worker (accuracy / ability / competence, method-specific). */
  workerSkill: Float64Array | null;
  /** numWorkers x numClasses x numClasses, [worker][true][observed] (ds). */
  workerConfusion: Float64Array | null;
  /** GLAD: per-item inverse difficulty (beta > 0, larger is easier). */
  itemEasiness: Float64Array | null;
  /** Parameters of the anonymous-tally population, when the set has tallies and the model has parameters. */
  anonymous: { skill: number; confusion: Float64Array | null } | null;
  iterations: number;
  converged: boolean;
  /** Why iterations stopped: "tolerance" (converged) or "max-iterations"; null for closed-form methods. */
  stopReason: "tolerance" | "max-iterations" | null;
  /** log p(votes | fitted parameters), the marginal log-likelihood (EM methods; null otherwise). */
  logLikelihood: number | null;
  /**
   * Expected complete-data log-likelihood at the end: sum over items and classes of posterior(i, c) *
   * log p(true label c, item i's votes | fitted parameters). EM methods only (MACE: at the posterior-mean
   * parameters).
   */
  expectedLogLikelihood: number | null;
  /**
   * The quantity whose change per vote stopped the iterations: GLAD the expected log-likelihood plus the log
   * prior of abilities and difficulties, MACE the variational lower bound (ELBO). Null for the other methods,
   * which stop on posterior (zbs: skill) changes.
   */
  objective: number | null;
};
