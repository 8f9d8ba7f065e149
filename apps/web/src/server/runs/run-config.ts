// Training-run form contract: validated here so an absurd value is refused with the field named (400)
// before anything is written or enqueued. Pure (no server-only) so it is unit-tested and reused by the form.
import { z } from "zod";
import { parseWithField, type TParseResult } from "../http";

export const RUN_MODELS = ["seed", "vgg13", "fast"] as const;
export const RUN_SCHEMES = ["majority", "probability", "crossentropy", "multitarget"] as const;
export const RUN_BACKENDS = ["auto", "gpu", "node", "wasm"] as const;

export const ZRunConfig = z.object({
  name: z.string().trim().max(120, "name: at most 120 characters").default(""),
  datasetId: z.string().min(1, "datasetId: choose a dataset"),
  snapshotId: z.string().min(1).nullish(),
  model: z.enum(RUN_MODELS, { message: `model: one of ${RUN_MODELS.join(", ")}` }),
  scheme: z.enum(RUN_SCHEMES, { message: `scheme: one of ${RUN_SCHEMES.join(", ")}` }),
  eps: z.number({ message: "eps: a number" }).min(0, "eps: >= 0").max(1, "eps: <= 1"),
  epochs: z
    .number({ message: "epochs: a number" })
    .int("epochs: an integer")
    .min(1, "epochs: >= 1")
    .max(500, "epochs: <= 500"),
  patience: z
    .number({ message: "patience: a number" })
    .int("patience: an integer")
    .min(0, "patience: >= 0")
    .max(500, "patience: <= 500"),
  learningRate: z
    .number({ message: "learningRate: a number" })
    .gt(0, "learningRate: must be > 0")
    .max(1, "learningRate: must be <= 1"),
  batchSize: z
    .number({ message: "batchSize: a number" })
    .int("batchSize: an integer")
    .min(1, "batchSize: >= 1")
    .max(1024, "batchSize: <= 1024"),
  seed: z
    .number({ message: "seed: a number" })
    .int("seed: an integer")
    .min(0, "seed: >= 0")
    .max(2 ** 31 - 1, "seed: < 2^31"),
  backend: z.enum(RUN_BACKENDS, { message: `backend: one of ${RUN_BACKENDS.join(", ")}` }).default("auto"),
  // Small-run knob for demos and tests: cap the number of training images (0 = all).
  maxTrainImages: z.number().int().min(0).max(10_000_000).default(0),
});

export type TRunConfig = z.infer<typeof ZRunConfig>;

export const DEFAULT_RUN_CONFIG: Omit<TRunConfig, "datasetId"> = {
  name: "",
  snapshotId: null,
  model: "fast",
  scheme: "probability",
  eps: 0.1,
  epochs: 10,
  patience: 3,
  learningRate: 0.001,
  batchSize: 64,
  seed: 42,
  backend: "auto",
  maxTrainImages: 0,
};

export function parseRunConfig(input: unknown): TParseResult<TRunConfig> {
  return parseWithField(ZRunConfig, input);
}
