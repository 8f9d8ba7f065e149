// Snapshot form contract (pure, unit-tested): aggregation method + smoothing, validated before enqueueing.
import { AGGREGATION_METHODS } from "@concord/jobs";
import { z } from "zod";

export const SMOOTHING_Q = ["crowd", "posterior", "uniform"] as const;

export const ZSnapshotForm = z.object({
  datasetId: z.string().min(1, "datasetId: choose a dataset"),
  method: z.enum(AGGREGATION_METHODS, { message: `method: one of ${AGGREGATION_METHODS.join(", ")}` }),
  // Crowd-aware smoothing: target = (1 - eps) * onehot(consensus) + eps * q.
  eps: z.number({ message: "eps: a number" }).min(0, "eps: >= 0").max(1, "eps: <= 1").default(0),
  q: z.enum(SMOOTHING_Q, { message: `q: one of ${SMOOTHING_Q.join(", ")}` }).default("crowd"),
  maxIterations: z
    .number()
    .int()
    .min(1, "maxIterations: >= 1")
    .max(1000, "maxIterations: <= 1000")
    .optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
});

export type TSnapshotForm = z.infer<typeof ZSnapshotForm>;
