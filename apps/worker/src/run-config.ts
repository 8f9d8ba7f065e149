// TrainingRun.config is @concord/jobs' run config (the web stores the parsed form there). Parsed on every
// attempt: a config that does not parse fails the run with the reason, never retried.
import type { TRunConfig } from "@concord/jobs";
import type { TTrainConfig } from "@concord/trainer";

export function toTrainerConfig(config: TRunConfig, seed: number): Partial<TTrainConfig> {
  return {
    model: config.model,
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    seed,
    earlyStoppingPatience: config.patience,
    augment: config.augment,
    optimizer: config.optimizer,
    classWeighting: config.classWeighting,
  };
}
