// The trainer functions the worker calls, resolved at run time so a trainer build without one of them
// fails the job with a clear message instead of failing the whole worker at import.

import type {
  TEvaluation,
  TImageSet,
  TTrainConfig,
  TTrainData,
  TTrainHooks,
  TTrainResult,
} from "@concord/trainer";
import * as trainer from "@concord/trainer";

type TModel = TTrainResult["model"];

export type TTrainerApi = {
  initBackend: typeof trainer.initBackend;
  train: (data: TTrainData, config: Partial<TTrainConfig>, hooks?: TTrainHooks) => Promise<TTrainResult>;
  evaluate: (
    model: TModel,
    split: TImageSet,
    name: string,
    options?: { labels?: readonly string[]; batchSize?: number; tta?: boolean },
  ) => TEvaluation | Promise<TEvaluation>;
  saveModel: (model: TModel, dir: string) => Promise<unknown>;
  loadModel: (dir: string) => Promise<TModel>;
};

export function trainerApi(): TTrainerApi {
  const api = trainer as unknown as Partial<TTrainerApi>;
  for (const name of ["initBackend", "train", "evaluate", "saveModel", "loadModel"] as const) {
    if (typeof api[name] !== "function") throw new Error(`@concord/trainer does not export ${name}()`);
  }
  return api as TTrainerApi;
}

/**
 * Worker env names (gpu, node) to the trainer's backend preferences. The sandbox also rewrites
 * CONCORD_TF_BACKEND with it, because the trainer re-reads that variable itself.
 */
export function backendPreference(value: string): string {
  return ({ gpu: "tfjs-node-gpu", node: "tfjs-node" } as Record<string, string>)[value] ?? value;
}
