import type { TTwinKind } from "@concord/importer/twins";
import type * as tf from "@tensorflow/tfjs";
import { PIXELS } from "../data/augment";
import { subsetPixels } from "../data/train-data";
import { GradientPool } from "../loop/gradient-pool";
import type { TEvaluation, TImageSet } from "../types";
import {
  crossFitDecisions,
  decisionBiasesOf,
  facesDigest,
  fitDecisionReport,
  heldOutDecisions,
  type TDecisionBiases,
} from "./decision-biases";
import { accuracyOf, calibration, classReports, confusionMatrix, macroF1, twinFreeMetrics } from "./metrics";
import { predictChunk } from "./predict-chunk";

export type TEvaluateOptions = {
  batchSize?: number;
  tta?: boolean;
  signal?: AbortSignal;
  /** Class names; default: the classNames saved with the model, else "0".."C-1". */
  labels?: readonly string[];
  /**
   * Inference threads: this thread plus threads - 1 worker threads, each with its own WASM instance (and
   * the native kernels when this thread has them), each predicting whole batches. Default 1.
   */
  threads?: number;
  /** A pool to reuse across models of the same topology (its weights are replaced); else one per call. */
  pool?: GradientPool;
  /**
   * Per-class decision biases to report beside the argmax figures (decision-biases.ts). Default: the ones saved
   * with the model, if any; null: none. On the split they were fitted on (same faces and labels) the report is
   * cross-fitted, never the in-sample figure.
   */
  decisionBiases?: TDecisionBiases | null;
  /** Fit decision biases on this split and report them cross-fitted (a run's selection split, after training). */
  fitDecisionBiases?: boolean;
  /** After each round of batches: images done so far. */
  onProgress?: (done: number, total: number) => void | Promise<void>;
};

/** Worker threads for batched inference, to share between calls on models of one topology. */
export async function createInferencePool(
  model: tf.LayersModel,
  threads: number,
): Promise<GradientPool | null> {
  return threads > 1 ? GradientPool.create(model, threads - 1) : null;
}

/**
 * Class probabilities (N x C) in inference mode, in batches of `batchSize` spread over `threads` threads;
 * with tta, the mean over the image and its mirror.
 */
export async function predictProbabilities(
  model: tf.LayersModel,
  pixels: Uint8Array,
  options: TEvaluateOptions = {},
): Promise<Float32Array> {
  const n = pixels.length / PIXELS;
  const classes = (model.outputs[0]?.shape[1] as number) ?? 0;
  const out = new Float32Array(n * classes);
  const bs = options.batchSize ?? 128;
  const views = options.tta ? [false, true] : [false];
  options.signal?.throwIfAborted();
  const own = options.pool ? null : await createInferencePool(model, options.threads ?? 1);
  const pool = options.pool ?? own;
  try {
    await pool?.loadWeights(model);
    const lanes = 1 + (pool?.size ?? 0);
    for (let start = 0; start < n; start += bs * lanes) {
      options.signal?.throwIfAborted();
      const chunks: [number, number][] = [];
      for (let s = start; s < Math.min(n, start + bs * lanes); s += bs) chunks.push([s, Math.min(n, s + bs)]);
      for (const mirror of views) {
        const slice = ([s, e]: [number, number]) => pixels.subarray(s * PIXELS, e * PIXELS);
        const remote = chunks.slice(1).map((c, k) => pool!.predict(k, slice(c), mirror));
        const local = predictChunk(model, slice(chunks[0]!), mirror);
        const results = [local, ...(await Promise.all(remote))];
        results.forEach((values, k) => {
          const base = chunks[k]![0] * classes;
          for (let i = 0; i < values.length; i++)
            out[base + i] = (out[base + i] as number) + (values[i] as number) / views.length;
        });
      }
      await options.onProgress?.(chunks.at(-1)![1], n);
      // Let timers and abort listeners run between rounds.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    await own?.close();
  }
  return out;
}

/** The faces of a split that have a majority label (FER+ protocol; label -1 = no majority, excluded). */
export function labelledFaces(data: TImageSet, classes: number, split: string): number[] {
  if (data.trainTwins && data.trainTwins.length !== data.labels.length)
    throw new Error(`${split}: ${data.trainTwins.length} twin marks for ${data.labels.length} faces`);
  const keep: number[] = [];
  data.labels.forEach((l, i) => {
    if (l >= classes)
      throw new Error(`${split}: label ${l} at row ${i} but the model has ${classes} classes`);
    if (l >= 0) keep.push(i);
  });
  return keep;
}

/** The pixels of the faces `keep` (indices into data), in that order. */
export function pixelsOf(data: TImageSet, keep: readonly number[]): Uint8Array {
  return subsetPixels(data.pixels, keep);
}

/**
 * The report of class probabilities `probs` (keep.length x labelNames.length, row k for face keep[k]) against
 * the split's majority labels: what `evaluate` reports for one model, and what an ensemble's averaged
 * probabilities are scored with (concord-eval with several --model).
 */
export function scoreProbabilities(
  probs: Float32Array,
  data: TImageSet,
  keep: readonly number[],
  split: string,
  labelNames: readonly string[],
  tta: boolean,
  decisions: { stored?: TDecisionBiases | null; fit?: boolean } = {},
): TEvaluation {
  const classes = labelNames.length;
  if (probs.length !== keep.length * classes)
    throw new Error(`${split}: ${probs.length} probabilities for ${keep.length} faces x ${classes} classes`);
  const preds = new Int32Array(keep.length);
  const conf = new Float32Array(keep.length);
  const correct = new Uint8Array(keep.length);
  let loss = 0;
  keep.forEach((src, k) => {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if ((probs[k * classes + c] as number) > (probs[k * classes + best] as number)) best = c;
    preds[k] = best;
    conf[k] = probs[k * classes + best] as number;
    const label = data.labels[src] as number;
    correct[k] = best === label ? 1 : 0;
    loss -= Math.log(Math.max(probs[k * classes + label] as number, 1e-7));
  });
  const labels = Int32Array.from(keep, (i) => data.labels[i] as number);
  const confusion = confusionMatrix(labels, preds, classes);
  const perClass = classReports(confusion, labelNames);
  const cal = calibration(conf, correct);
  const twins = data.trainTwins ? keep.map((i) => data.trainTwins![i] ?? null) : null;
  return {
    split,
    labels: [...labelNames],
    n: keep.length,
    accuracy: accuracyOf(confusion),
    loss: keep.length > 0 ? loss / keep.length : 0,
    macroF1: macroF1(perClass),
    ece: cal.ece,
    confusion,
    perClass,
    calibration: cal,
    tta,
    withoutTrainTwins: twins ? twinFreeMetrics(labels, preds, twins, labelNames) : null,
    decisions: decisionReport(probs, data, keep, labels, split, classes, twins, decisions),
  };
}

function decisionReport(
  probs: Float32Array,
  data: TImageSet,
  keep: readonly number[],
  labels: Int32Array,
  split: string,
  classes: number,
  twins: readonly (TTwinKind | null)[] | null,
  decisions: { stored?: TDecisionBiases | null; fit?: boolean },
): TEvaluation["decisions"] {
  if (keep.length === 0) return null;
  const pixels = pixelsOf(data, keep);
  if (decisions.fit) return fitDecisionReport(probs, pixels, labels, classes, split, twins).report;
  const stored = decisions.stored;
  if (!stored) return null;
  if (stored.biases.length !== classes)
    throw new Error(`${stored.biases.length} decision biases for a model with ${classes} classes`);
  // The split they were fitted on: re-fitted within random halvings, never scored in-sample.
  if (facesDigest(pixels, labels) === stored.digest)
    return { ...stored, ...crossFitDecisions(probs, labels, classes, twins) };
  return heldOutDecisions(probs, labels, stored, twins);
}

/** The class names of a model: the classNames saved with it, else "0".."C-1". */
export function labelNamesOf(model: tf.LayersModel): string[] {
  const classes = model.outputs[0]?.shape[1] as number;
  const saved = (model.getUserDefinedMetadata() as { classNames?: string[] } | undefined)?.classNames;
  return saved ?? Array.from({ length: classes }, (_, c) => String(c));
}

/**
 * Metrics of `model` on a split with majority labels (FER+ protocol; label -1 = no majority, excluded).
 * `split` names the data in the report (e.g. "FER2013Valid"). When the set carries its train twins, the
 * accuracy and macro-F1 without them come beside the whole split's (the same predictions).
 */
export async function evaluate(
  model: tf.LayersModel,
  data: TImageSet,
  split: string,
  options: TEvaluateOptions = {},
): Promise<TEvaluation> {
  const classes = model.outputs[0]?.shape[1] as number;
  const labelNames = options.labels ?? labelNamesOf(model);
  if (classes !== labelNames.length)
    throw new Error(`model has ${classes} outputs but ${labelNames.length} labels were given`);
  const keep = labelledFaces(data, classes, split);
  const probs = await predictProbabilities(model, pixelsOf(data, keep), options);
  const stored =
    options.decisionBiases === undefined
      ? decisionBiasesOf(model.getUserDefinedMetadata(), classes)
      : options.decisionBiases;
  return scoreProbabilities(probs, data, keep, split, labelNames, options.tta === true, {
    stored,
    fit: options.fitDecisionBiases,
  });
}
