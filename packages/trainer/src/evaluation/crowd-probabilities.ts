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
 * A model's stored class weights (`classWeights` in its metadata: the per-class weights its loss used, the
 * class weighting's, `classWeights` in data/train-data.ts; 0 for a class without training faces, which no
 * loss weighted), or null for a model trained without them (or saved before they were kept).
 */
export function classWeightsOf(metadata: unknown, classes: number): number[] | null {
  const w = (metadata as { classWeights?: unknown } | undefined)?.classWeights;
  if (w === undefined || w === null) return null;
  if (
    !Array.isArray(w) ||
    w.length !== classes ||
    !w.every((v) => typeof v === "number" && v >= 0 && Number.isFinite(v))
  )
    throw new Error(`the model's classWeights do not fit its ${classes} classes`);
  return w;
}

/** What the crowd's reading of a model undoes: its logit adjustment and its class weights (each may be none). */
export type TCrowdAdjustment = { logitAdjustment: TLogitAdjustment | null; classWeights: number[] | null };

/** A model's crowd adjustment, from its metadata (model.json's user-defined metadata). */
export function crowdAdjustmentOf(metadata: unknown, classes: number): TCrowdAdjustment {
  return {
    logitAdjustment: logitAdjustmentOf(metadata, classes),
    classWeights: classWeightsOf(metadata, classes),
  };
}

/**
 * The crowd's vote shares as the model estimates them. Two losses tilt the softmax away from them, and each
 * tilt is undone here, per class, then each row renormalised:
 * - The logit-adjusted loss fits softmax(z + τ log π) to the crowd's vote shares and leaves softmax(z) tilted
 *   towards the rare classes by π^-τ: the balanced decision the evaluation scores, but not a distribution of
 *   votes. Reweighting by π^τ gives softmax(z + τ log π).
 * - The class-weighted loss (weight w_c for a face labelled c) is minimised, where a class's faces dominate
 *   its region, by a softmax proportional to w_c times the vote shares; dividing by w_c undoes it (as the
 *   logit adjustment's reweighting does: inverse-frequency weights are τ = 1's π^-1 up to a constant).
 * So for the crowd (stored predictions, exports, the label-issue finder and the stopping rule) row x becomes
 * p(c|x) π_c^τ / w_c, renormalised. Without either (τ = 0 or none stored, no weights) rows are returned as they are.
 */
export function crowdProbabilities(probs: Float32Array, adjustment: TCrowdAdjustment | null): Float32Array {
  const la = adjustment?.logitAdjustment;
  const cw = adjustment?.classWeights;
  const tilted = la && la.tau !== 0;
  if (!tilted && !cw) return probs;
  const C = (tilted ? la.prior.length : cw?.length) as number;
  const w = Array.from(
    { length: C },
    (_, c) =>
      (tilted ? (la.prior[c] as number) ** la.tau : 1) /
      (cw && (cw[c] as number) > 0 ? (cw[c] as number) : 1),
  );
  const out = new Float32Array(probs.length);
  for (let i = 0; i < probs.length; i += C) {
    let z = 0;
    for (let c = 0; c < C; c++) z += (probs[i + c] as number) * (w[c] as number);
    for (let c = 0; c < C; c++) out[i + c] = ((probs[i + c] as number) * (w[c] as number)) / z;
  }
  return out;
}

/** predictProbabilities, then crowdProbabilities with the model's own stored adjustments. */
export async function predictCrowdProbabilities(
  model: tf.LayersModel,
  pixels: Uint8Array,
  options: TEvaluateOptions = {},
): Promise<Float32Array> {
  const probs = await predictProbabilities(model, pixels, options);
  const classes = (model.outputs[0]?.shape[1] as number) ?? 0;
  return crowdProbabilities(probs, crowdAdjustmentOf(model.getUserDefinedMetadata(), classes));
}
