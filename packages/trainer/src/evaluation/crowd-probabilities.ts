import type * as tf from "@tensorflow/tfjs";
import { predictProbabilities, type TEvaluateOptions } from "./evaluate";

/**
 * What a model trained with the logit-adjusted loss stores (model.json's user-defined metadata,
 * `logitAdjustment`): its τ and the class prior π of its training targets (the mean target row).
 */
export type TLogitAdjustment = { tau: number; prior: number[] };

/** A model's stored logit adjustment, or null for a model trained without one (or saved before it was kept). */
export function logitAdjustmentOf(metadata: unknown, classes: number): TLogitAdjustment | null {
  const a = (metadata as { logitAdjustment?: TLogitAdjustment } | undefined)?.logitAdjustment;
  if (a === undefined || a === null) return null;
  if (
    !(typeof a.tau === "number" && a.tau >= 0 && Number.isFinite(a.tau)) ||
    !Array.isArray(a.prior) ||
    a.prior.length !== classes ||
    !a.prior.every((p) => typeof p === "number" && p > 0 && p <= 1)
  )
    throw new Error(`the model's logitAdjustment does not fit its ${classes} classes`);
  return a;
}

/**
 * The crowd's vote shares as the model estimates them. The logit-adjusted loss fits softmax(z + τ log π) to the
 * crowd's vote shares and leaves softmax(z) tilted towards the rare classes by π^-τ: the balanced decision the
 * evaluation scores, but not a distribution of votes. So for the crowd (stored predictions, exports, the
 * label-issue finder and the stopping rule) each row is reweighted by π^τ and renormalised: softmax(z + τ log π),
 * from the softmax of z. Without an adjustment (τ = 0 or none stored) the rows are returned as they are.
 */
export function crowdProbabilities(probs: Float32Array, adjustment: TLogitAdjustment | null): Float32Array {
  if (!adjustment || adjustment.tau === 0) return probs;
  const C = adjustment.prior.length;
  const w = adjustment.prior.map((p) => p ** adjustment.tau);
  const out = new Float32Array(probs.length);
  for (let i = 0; i < probs.length; i += C) {
    let z = 0;
    for (let c = 0; c < C; c++) z += (probs[i + c] as number) * (w[c] as number);
    for (let c = 0; c < C; c++) out[i + c] = ((probs[i + c] as number) * (w[c] as number)) / z;
  }
  return out;
}

/** predictProbabilities, then crowdProbabilities with the model's own stored adjustment. */
export async function predictCrowdProbabilities(
  model: tf.LayersModel,
  pixels: Uint8Array,
  options: TEvaluateOptions = {},
): Promise<Float32Array> {
  const probs = await predictProbabilities(model, pixels, options);
  const classes = (model.outputs[0]?.shape[1] as number) ?? 0;
  return crowdProbabilities(probs, logitAdjustmentOf(model.getUserDefinedMetadata(), classes));
}
