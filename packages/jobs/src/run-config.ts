// The training-run config: the one contract between the admin form (apps/web), the worker that trains
// (apps/worker) and the trainer's defaults (packages/trainer). Every default is written here once; the web
// stores the parsed object in TrainingRun.config and the worker parses it again on every attempt.
// Pure zod (subpath `@concord/jobs/run-config`): the browser form and the trainer import it without BullMQ.
import { z } from "zod";
import type { TTrainQueue } from "./queues";

/** Network factories of packages/trainer (its model table is keyed by this list). */
export const RUN_MODELS = ["seed", "vgg13", "fast", "fast-lite", "fast-wide"] as const;
export type TRunModel = (typeof RUN_MODELS)[number];
/**
 * Training targets, named as microsoft/FERPlus names its training modes; the FER+ paper (Barsoum et al. 2016)
 * calls them MV, PLD, CEL and ML. The one vocabulary of the run form, the worker and `concord-train`.
 */
export const RUN_SCHEMES = ["majority", "probability", "crossentropy", "multitarget"] as const;
export type TRunScheme = (typeof RUN_SCHEMES)[number];
export const SCHEME_PAPER_NAMES = {
  majority: "MV",
  probability: "PLD",
  crossentropy: "CEL",
  multitarget: "ML",
} as const satisfies Record<TRunScheme, string>;
/** One line per scheme: what the model is trained on (eps as in EPS_RULE). */
export const SCHEME_HELP: Record<TRunScheme, string> = {
  majority: "majority vote (MV): one-hot of the consensus; eps smooths it toward the crowd's vote shares",
  probability:
    "probabilistic label drawing (PLD): a one-hot drawn from the target every epoch (eps 1 = the FER+ distribution)",
  crossentropy: "cross-entropy loss (CEL): the target distribution itself (eps 1 = the FER+ distribution)",
  multitarget:
    "multi-target (ML): the distribution over the classes with >= 30% of the votes, trained with cross-entropy",
};
/** What eps means, for every scheme alike. */
export const EPS_RULE =
  "target = (1 − eps)·onehot(consensus) + eps·q; q = the crowd's vote shares for majority, the scheme's distribution (the snapshot's soft label) otherwise";
/** Earlier `concord-train` names and the paper's abbreviations, accepted with a deprecation line. */
export const SCHEME_ALIASES: Readonly<Record<string, TRunScheme>> = {
  cel: "crossentropy",
  pld: "probability",
  mv: "majority",
  ml: "multitarget",
};

/** A scheme name or alias -> the scheme (and the alias used, for the deprecation line); null when unknown. */
export function resolveScheme(name: string): { scheme: TRunScheme; alias: string | null } | null {
  const key = name.trim().toLowerCase();
  if ((RUN_SCHEMES as readonly string[]).includes(key)) return { scheme: key as TRunScheme, alias: null };
  const scheme = SCHEME_ALIASES[key];
  return scheme ? { scheme, alias: key } : null;
}

/** PLD trains on a one-hot drawn from each target every epoch; every other scheme on the target itself. */
export function drawsTargets(scheme: TRunScheme): boolean {
  return scheme === "probability";
}
/**
 * Which figure picks a run's kept epoch: early stopping restores the weights of the epoch with the best Valid
 * accuracy over the whole split, train twins included, and the learning-rate plateau watches the same figure
 * (a run whose dataset has no Valid faces selects on a stratified hold-out of its train faces). Every place
 * that shows an evaluation says it with these words. The twin-free figure is reported, never selected on:
 * the numbers of earlier runs stay comparable.
 */
export const CHECKPOINT_SELECTION = "Valid accuracy over the whole split (train twins included)";
/** The same rule's words for a run whose dataset has no Valid faces. */
export const CHECKPOINT_SELECTION_HOLDOUT =
  "accuracy on a stratified hold-out of the train faces (no Valid split), train twins included";
/**
 * What a deferred rebalancing keeps: no selection, no early stop (the trainer's `selectAfterEpoch`). Selecting on
 * accuracy among the rebalanced epochs kept the plain model (packages/trainer/README.md, "Seed 49").
 */
export const DEFERRED_SELECTION = "the last epoch: a deferred rebalancing is not selected on";
/**
 * The words for a run's selection rule: with `ttaEval` the selecting evaluation averages each face's and its
 * mirror's probabilities.
 */
export function checkpointSelectionOf(run: {
  holdout: boolean;
  ttaEval: boolean;
  /** The deferred rebalancing's first epoch (`rebalanceFromOf`): above 1 the run keeps its last epoch. */
  rebalanceFrom?: number;
}): string {
  if ((run.rebalanceFrom ?? 1) > 1)
    return `${DEFERRED_SELECTION} (rebalanced from epoch ${run.rebalanceFrom} on)`;
  const words = run.holdout ? CHECKPOINT_SELECTION_HOLDOUT : CHECKPOINT_SELECTION;
  return run.ttaEval ? `${words}, predicted on each face and its mirror (mirror TTA)` : words;
}
/** Where a run may train: "gpu" routes it to the train-gpu queue that only GPU workers drain. */
export const RUN_BACKENDS = ["auto", "gpu", "node", "wasm"] as const;
export const RUN_OPTIMIZERS = ["adam", "sgd"] as const;
/**
 * Learning-rate schedules: "plateau" halves the rate after `reduceLrPatience` epochs without a better
 * selection figure; "cosine" decays it per batch from the set rate to COSINE_FLOOR of it over the run's
 * epochs. Both start with `warmupEpochs` of linear warm-up per batch from WARMUP_START of the rate.
 */
export const RUN_SCHEDULES = ["plateau", "cosine"] as const;
export type TRunSchedule = (typeof RUN_SCHEDULES)[number];
/** Where the warm-up starts and where the cosine ends, as fractions of the set learning rate. */
export const WARMUP_START = 0.1;
export const COSINE_FLOOR = 0.01;
/**
 * Stored predictions (PredictionSet): "in-sample" = the run's saved model predicts every image (the images it
 * trained on are flagged in-sample); "cross-fit" = K fold models trained with the run's config each predict the
 * training images they did not see, the run's model predicts the rest, so every row is out-of-sample.
 */
export const PREDICT_SCHEMES = ["in-sample", "cross-fit"] as const;
export type TPredictScheme = (typeof PREDICT_SCHEMES)[number];
/** After a run succeeds: no predictions, or a predict job with one of the schemes. */
export const PREDICT_AFTER = ["none", ...PREDICT_SCHEMES] as const;
/**
 * Cross-fit folds. 5: each fold model trains on 80% of the run's training images at 4x the run's training
 * cost (see packages/jobs/README.md for why not 2 or 10).
 */
export const DEFAULT_PREDICT_FOLDS = 5;

const int = (field: string, min: number, max: number, fallback: number) =>
  z
    .number({ message: `${field}: a number` })
    .int(`${field}: an integer`)
    .min(min, `${field}: >= ${min}`)
    .max(max, `${field}: <= ${max}`)
    .default(fallback);

/**
 * The hyperparameters a run and `concord-train` share. Defaults are the best recipe measured on FER+
 * (packages/trainer/README.md, "Training levers": the fast-wide net, crowd-distribution targets, Adam 1e-3, 24
 * epochs of cosine decay after 1 warm-up epoch, weight EMA 0.999, mirror TTA in selection, early stop 6; the
 * class weighting, off, is the class-balanced loss (beta 0.999) deferred to the last quarter of the epochs when
 * ticked). Every lever can be set off again (schedule "plateau", warmupEpochs 0, ema 0, ttaEval false): the
 * earlier plateau recipe. The network was `fast` until 2026-12-01; stored configs always name theirs, so none changes with it.
 */
export const ZTrainingConfig = z.object({
  model: z.enum(RUN_MODELS, { message: `model: one of ${RUN_MODELS.join(", ")}` }).default("fast-wide"),
  scheme: z
    .enum(RUN_SCHEMES, { message: `scheme: one of ${RUN_SCHEMES.join(", ")}` })
    .default("crossentropy"),
  /** The weight of q in every scheme's target (EPS_RULE). */
  eps: z.number({ message: "eps: a number" }).min(0, "eps: >= 0").max(1, "eps: <= 1").default(1),
  epochs: int("epochs", 1, 500, 24),
  /** Early-stopping patience in epochs; 0 disables. */
  patience: int("patience", 0, 500, 6),
  learningRate: z
    .number({ message: "learningRate: a number" })
    .gt(0, "learningRate: must be > 0")
    .max(1, "learningRate: must be <= 1")
    .default(0.001),
  batchSize: int("batchSize", 1, 1024, 64),
  seed: int("seed", 0, 2 ** 31 - 1, 42),
  optimizer: z.enum(RUN_OPTIMIZERS, { message: "optimizer: adam or sgd" }).default("adam"),
  augment: z.boolean({ message: "augment: true or false" }).default(true),
  /**
   * Weight each example's loss by the inverse (effective) frequency of its label (`classBalanceBeta`), from
   * `rebalanceFrom` on; with those fields' defaults, the class-balanced loss (beta 0.999) over the last quarter of
   * the epochs, keeping the last epoch. On by default since seeds 50 and 51 met the rule fixed before they ran
   * (packages/trainer/README.md, "A second rule"): the rare classes' F1 without giving up accuracy.
   */
  classWeighting: z.boolean({ message: "classWeighting: true or false" }).default(true),
  /**
   * The class-balanced loss of Cui et al. 2019: the class weighting's weight of a class with n training faces is
   * 1 / its effective number (1 - beta^n) / (1 - beta), so beta tempers the weights between equal (0) and
   * inverse frequency (1, the limit, and what the class weighting did before the field existed). Without the
   * class weighting it does nothing (the default 0.999 stays in the form when the weighting is turned off).
   */
  classBalanceBeta: z
    .number({ message: "classBalanceBeta: a number" })
    .min(0, "classBalanceBeta: >= 0")
    .max(1, "classBalanceBeta: <= 1 (1 = inverse frequency)")
    .default(0.999),
  schedule: z
    .enum(RUN_SCHEDULES, { message: `schedule: one of ${RUN_SCHEDULES.join(", ")}` })
    .default("cosine"),
  /** Epochs of linear warm-up (per batch, from WARMUP_START of the rate to the rate); 0 = none. */
  warmupEpochs: int("warmupEpochs", 0, 100, 1),
  /** Decay of the exponential moving average of the weights (selection and the saved model use it); 0 = off. */
  ema: z.number({ message: "ema: a number" }).min(0, "ema: >= 0 (0 = off)").lt(1, "ema: < 1").default(0.999),
  /** Mixup's Beta(alpha, alpha) on images and soft targets, per batch; 0 = off. */
  mixup: z
    .number({ message: "mixup: a number" })
    .min(0, "mixup: >= 0 (0 = off)")
    .max(10, "mixup: <= 10")
    .default(0),
  /** CutMix's Beta(alpha, alpha) box per batch (with mixup also on: one of the two per batch); 0 = off. */
  cutmix: z
    .number({ message: "cutmix: a number" })
    .min(0, "cutmix: >= 0 (0 = off)")
    .max(10, "cutmix: <= 10")
    .default(0),
  /** Logit adjustment (Menon et al. 2021): tau * log(class prior) added to the logits in the loss; 0 = off. */
  logitAdjust: z
    .number({ message: "logitAdjust: a number" })
    .min(0, "logitAdjust: >= 0 (0 = off)")
    .max(5, "logitAdjust: <= 5")
    .default(0),
  /**
   * Deferred rebalancing (the DRW schedule of Cao et al. 2019): the first epoch whose loss uses the class
   * weighting and the logit adjustment; 1 = every epoch; 0 = auto, the last quarter of the epochs
   * (`rebalanceFromOf`: 19 of 24), so the default follows `epochs`. Above 1 the epochs before it train the plain
   * loss, the run does not stop early, and it keeps its last epoch (`DEFERRED_SELECTION`). Above 1 it needs one
   * of the two levers and at most `epochs` (`leverProblem`).
   */
  rebalanceFrom: int("rebalanceFrom", 0, 500, 0),
  /** Select the checkpoint (and report Valid/Test) on the mean of each face and its mirror image. */
  ttaEval: z.boolean({ message: "ttaEval: true or false" }).default(true),
});
export type TTrainingConfig = z.infer<typeof ZTrainingConfig>;

/** Auto deferral (`rebalanceFrom` 0): the share of the epochs, at the end, that train the rebalanced loss. */
export const AUTO_REBALANCE_SHARE = 0.25;

/**
 * The first epoch a config's loss rebalances: `rebalanceFrom` as set, or for 0 (auto) the last quarter of the
 * epochs (epochs - round(epochs / 4) + 1: 19 of 24, 8 of 10) when class weighting or logit adjustment is on, and
 * 1 when neither is (nothing to defer). The trainer resolves it once (`resolveConfig`); what a run shows and
 * selects with is this number.
 */
export function rebalanceFromOf(c: {
  epochs: number;
  rebalanceFrom: number;
  classWeighting: boolean;
  logitAdjust: number;
}): number {
  if (c.rebalanceFrom !== 0) return c.rebalanceFrom;
  if (!c.classWeighting && !(c.logitAdjust > 0)) return 1;
  return Math.min(c.epochs, Math.max(1, c.epochs - Math.round(c.epochs * AUTO_REBALANCE_SHARE) + 1));
}

/**
 * The cross-field rules of the levers (a field-by-field schema cannot say them): null when the config is
 * consistent, else the first problem, named by field. Checked by POST /api/runs (`ZRunConfigChecked`), the
 * trainer's `resolveConfig` and so `concord-train` and the worker.
 */
export function leverProblem(c: {
  epochs: number;
  rebalanceFrom: number;
  classWeighting: boolean;
  logitAdjust: number;
}): { field: "rebalanceFrom"; message: string } | null {
  if (rebalanceFromOf(c) <= 1) return null;
  if (!c.classWeighting && !(c.logitAdjust > 0))
    return {
      field: "rebalanceFrom",
      message:
        "rebalanceFrom: defers class weighting or logit adjustment; turn one of them on, or set 0 (auto) or 1",
    };
  if (c.rebalanceFrom > c.epochs)
    return {
      field: "rebalanceFrom",
      message: `rebalanceFrom: at most epochs (${c.epochs}); from ${c.rebalanceFrom} on no epoch would rebalance`,
    };
  return null;
}

export const ZRunConfig = ZTrainingConfig.extend({
  name: z.string().trim().max(120, "name: at most 120 characters").default(""),
  datasetId: z.string({ message: "datasetId: choose a dataset" }).min(1, "datasetId: choose a dataset"),
  /** Null: the worker makes (or reuses) the dataset's default snapshot for the scheme. */
  snapshotId: z.string().min(1).nullish().default(null),
  backend: z.enum(RUN_BACKENDS, { message: `backend: one of ${RUN_BACKENDS.join(", ")}` }).default("auto"),
  /** Small-run knob for demos and tests: cap the number of training images (0 = all). */
  maxTrainImages: int("maxTrainImages", 0, 10_000_000, 0),
  /** Launch a predict job on the run's dataset once the run succeeds. */
  predictAfter: z
    .enum(PREDICT_AFTER, { message: `predictAfter: one of ${PREDICT_AFTER.join(", ")}` })
    .default("none"),
  /** Folds of that predict job when predictAfter is "cross-fit". */
  predictFolds: int("predictFolds", 2, 20, DEFAULT_PREDICT_FOLDS),
});
export type TRunConfig = z.infer<typeof ZRunConfig>;
/**
 * ZRunConfig with its cross-field rules (`leverProblem`): what POST /api/runs parses. A separate schema
 * because zod refuses to pick, omit or extend an object that carries a refinement.
 */
export const ZRunConfigChecked = ZRunConfig.superRefine((c, ctx) => {
  const problem = leverProblem(c);
  if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
});
export type TRunConfigInput = z.input<typeof ZRunConfig>;

/**
 * What a stored run config that predates the training levers (issue 14) trained with: they did not exist, so
 * they were off, whatever today's defaults are (the levers are on by default since). Stored configs
 * (TrainingRun.config) are read through `parseStoredRunConfig`, so a run launched before a default changed is
 * shown, resumed and retried as it was launched. A config stored since then has every field (the web stores the
 * parsed object). `epochs` needs no entry though its default changed (30 -> 24): POST /api/runs has stored the
 * parsed config since the first run form, and that form's schema required epochs before it had a default.
 * `classWeighting` was stored by that first form too; the entries of `classBalanceBeta` and `rebalanceFrom`
 * (added on 2026-12-02 at 1, their neutral values then) keep a weighting stored without them as it trained:
 * inverse frequency over every epoch, not today's class-balanced deferral.
 */
export const PREDATING_LEVERS = {
  classWeighting: false,
  classBalanceBeta: 1,
  rebalanceFrom: 1,
  schedule: "plateau",
  warmupEpochs: 0,
  ema: 0,
  mixup: 0,
  cutmix: 0,
  logitAdjust: 0,
  ttaEval: false,
} as const satisfies Partial<TTrainingConfig>;

/** A stored TrainingRun.config parsed with PREDATING_LEVERS for the fields it lacks. */
export function parseStoredRunConfig(raw: unknown) {
  const stored = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? raw : {};
  return ZRunConfig.safeParse({ ...PREDATING_LEVERS, ...stored });
}

/**
 * Whether a stored run scored itself with mirror TTA: its evaluate jobs and its prediction sets score that way
 * too, so the same model on the same faces gives one set of figures. A config that does not parse: false.
 */
export function ttaEvalOfStored(raw: unknown): boolean {
  const parsed = parseStoredRunConfig(raw);
  return parsed.success ? parsed.data.ttaEval : false;
}

/** Every default, for the form's initial values (a form has no dataset until one is chosen). */
export const DEFAULT_RUN_CONFIG: Omit<TRunConfig, "datasetId"> = ZRunConfig.omit({ datasetId: true }).parse(
  {},
);

/** Runs that ask for a GPU go to the queue only GPU workers drain; everything else to "train". */
export function trainQueueFor(config: Pick<TRunConfig, "backend">): TTrainQueue {
  return config.backend === "gpu" ? "train-gpu" : "train";
}

/** The queue of a stored config (TrainingRun.config is untyped JSON); one that does not parse trains on CPU. */
export function trainQueueOfStored(config: unknown): TTrainQueue {
  const parsed = ZRunConfig.pick({ backend: true }).safeParse(config ?? {});
  return trainQueueFor(parsed.success ? parsed.data : { backend: "auto" });
}

/**
 * POST /api/predictions and the run page's button: predict a dataset with a succeeded run. `datasetId`
 * defaults to the run's own dataset; another dataset must share its taxonomy and takes "in-sample" only
 * (fold models need the run's training labels).
 */
export const ZPredictRequest = z.object({
  runId: z.string({ message: "runId: choose a run" }).trim().min(1, "runId: choose a run"),
  datasetId: z.string({ message: "datasetId: a dataset id" }).trim().min(1).nullish().default(null),
  scheme: z
    .enum(PREDICT_SCHEMES, { message: `scheme: one of ${PREDICT_SCHEMES.join(", ")}` })
    .default("cross-fit"),
  folds: int("folds", 2, 20, DEFAULT_PREDICT_FOLDS),
});
export type TPredictRequest = z.infer<typeof ZPredictRequest>;

/** Fold models of a scheme: 1 model (the run's) for "in-sample". */
export function foldsOf(request: Pick<TPredictRequest, "scheme" | "folds">): number {
  return request.scheme === "cross-fit" ? request.folds : 1;
}

/**
 * Per-class decision biases in an evaluation (issue 14; fitted and applied by @concord/trainer
 * evaluation/decision-biases.ts, stored by the worker in Evaluation.decisions, shown by the web): the same
 * predictions decided by argmax_c log p(c) + b_c. "cross-fitted": this is the split the biases were fitted on, and
 * the figures are the mean (and sample SD) over `halvings` random halvings, each half decided with biases fitted
 * on the other; "held-out": the stored biases applied as they are.
 */
export const ZDecisionReport = z.object({
  /** b_c, one per class, b_0 = 0. */
  biases: z.array(z.number()),
  /** The name of the split they were fitted on, and its labelled faces. */
  fittedOn: z.string(),
  n: z.number().int(),
  /** sha256 of those faces' pixels and labels: how an evaluation knows it is that split. */
  digest: z.string(),
  protocol: z.enum(["cross-fitted", "held-out"]),
  halvings: z.number().int().nullable(),
  accuracy: z.number(),
  accuracySd: z.number().nullable(),
  macroF1: z.number(),
  macroF1Sd: z.number().nullable(),
  /** Per-class F1 (mean over the halvings when cross-fitted), in the model's class order. */
  perClassF1: z.array(z.number()),
  /** The same decisions without the split's train twins; null when the twins are unknown. */
  withoutTrainTwins: z.object({ n: z.number().int(), accuracy: z.number(), macroF1: z.number() }).nullable(),
});
export type TDecisionReport = z.infer<typeof ZDecisionReport>;
