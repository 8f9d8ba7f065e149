import { MODEL_NAMES } from "../model/model-factories";
import type { TTrainConfig } from "../types";

/** The default CPU recipe (see README): fast net, Adam 1e-3, FER+ augmentation, plateau halving, early stop. */
export const DEFAULT_CONFIG: TTrainConfig = {
  model: "fast",
  epochs: 30,
  batchSize: 64,
  optimizer: "adam",
  learningRate: 1e-3,
  momentum: 0.9,
  weightDecay: 0,
  seed: 42,
  augment: true,
  reduceLrFactor: 0.5,
  reduceLrPatience: 2,
  minLearningRate: 1e-5,
  earlyStoppingPatience: 6,
  classWeighting: false,
  validationFraction: 0.1,
  sampleTargets: false,
  workers: 1,
};

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
  return c;
}
