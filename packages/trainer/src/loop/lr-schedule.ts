import { COSINE_FLOOR, WARMUP_START } from "@concord/jobs/run-config";
import type { TTrainConfig } from "../types";

export type TScheduleConfig = Pick<TTrainConfig, "schedule" | "warmupEpochs" | "epochs" | "learningRate">;

/**
 * The learning rate of optimizer step `step` (0-based over the whole run, `stepsPerEpoch` batches an epoch): a
 * pure function of the step and the config, so a resumed run uses the rates the uninterrupted one did.
 * - warm-up (steps < warmupEpochs x stepsPerEpoch): linear from WARMUP_START x base to base;
 * - plateau: `base` afterwards (the rate ReduceLROnPlateau manages, halved at epoch ends);
 * - cosine: from the config's rate down to COSINE_FLOOR x it, reached at the run's last step.
 * For cosine, base is the config's rate (the plateau rule does not apply).
 */
export function lrAt(step: number, c: TScheduleConfig, stepsPerEpoch: number, base: number): number {
  const warm = c.warmupEpochs * stepsPerEpoch;
  const peak = c.schedule === "cosine" ? c.learningRate : base;
  if (step < warm) return peak * (WARMUP_START + ((1 - WARMUP_START) * step) / warm);
  if (c.schedule === "plateau") return base;
  const floor = c.learningRate * COSINE_FLOOR;
  const last = c.epochs * stepsPerEpoch - 1;
  const p = Math.min(1, (step - warm) / Math.max(1, last - warm));
  return floor + (c.learningRate - floor) * 0.5 * (1 + Math.cos(Math.PI * p));
}
