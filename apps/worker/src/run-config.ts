// The part of TrainingRun.config the worker needs (the web stores its whole launch form there). Parsed on
// every attempt: a config that does not parse fails the run with the reason, never retried.
import type { TTrainConfig } from "@concord/trainer";
import { z } from "zod";

export const ZRunTrainConfig = z
  .object({
    model: z.enum(["seed", "vgg13", "fast", "fast-lite"]).default("fast"),
    scheme: z.enum(["majority", "probability", "crossentropy", "multitarget"]).default("probability"),
    eps: z.number().min(0).max(1).default(0),
    epochs: z.number().int().min(1).max(500).default(10),
    patience: z.number().int().min(0).max(500).default(0),
    learningRate: z.number().gt(0).max(1).default(0.001),
    batchSize: z.number().int().min(1).max(1024).default(64),
    maxTrainImages: z.number().int().min(0).default(0),
    augment: z.boolean().optional(),
    optimizer: z.enum(["adam", "sgd"]).optional(),
    classWeighting: z.boolean().optional(),
  })
  .loose();

export type TRunTrainConfig = z.infer<typeof ZRunTrainConfig>;

export function toTrainerConfig(config: TRunTrainConfig, seed: number): Partial<TTrainConfig> {
  return {
    model: config.model,
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    seed,
    earlyStoppingPatience: config.patience,
    ...(config.augment === undefined ? {} : { augment: config.augment }),
    ...(config.optimizer === undefined ? {} : { optimizer: config.optimizer }),
    ...(config.classWeighting === undefined ? {} : { classWeighting: config.classWeighting }),
  };
}
