import * as tf from "@tensorflow/tfjs";
import { makeBatch, PIXELS, SIZE } from "../data/augment";
import type { TEvaluation, TImageSet } from "../types";
import { accuracyOf, calibration, classReports, confusionMatrix, macroF1 } from "./metrics";

export type TEvaluateOptions = {
  batchSize?: number;
  tta?: boolean;
  signal?: AbortSignal;
  /** Class names; default: the classNames saved with the model, else "0".."C-1". */
  labels?: readonly string[];
};

/** Class probabilities (N x C) in inference mode; with tta, the mean over the image and its mirror. */
export async function predictProbabilities(
  model: tf.LayersModel,
  pixels: Uint8Array,
  options: TEvaluateOptions = {},
): Promise<Float32Array> {
  const n = pixels.length / PIXELS;
  const classes = (model.outputs[0]?.shape[1] as number) ?? 0;
  const out = new Float32Array(n * classes);
  const bs = options.batchSize ?? 128;
  for (let start = 0; start < n; start += bs) {
    options.signal?.throwIfAborted();
    const idx = Array.from({ length: Math.min(bs, n - start) }, (_, k) => start + k);
    const views = options.tta ? [false, true] : [false];
    for (const mirror of views) {
      const buf = makeBatch(pixels, idx, null, undefined, mirror);
      const probs = tf.tidy(() => model.predict(tf.tensor4d(buf, [idx.length, SIZE, SIZE, 1])) as tf.Tensor);
      const values = (await probs.data()) as Float32Array;
      probs.dispose();
      for (let i = 0; i < values.length; i++)
        out[start * classes + i] =
          (out[start * classes + i] as number) + (values[i] as number) / views.length;
    }
  }
  return out;
}

/**
 * Metrics of `model` on a split with majority labels (FER+ protocol; label -1 = no majority, excluded).
 * `split` names the data in the report (e.g. "FER2013Valid").
 */
export async function evaluate(
  model: tf.LayersModel,
  data: TImageSet,
  split: string,
  options: TEvaluateOptions = {},
): Promise<TEvaluation> {
  const classes = model.outputs[0]?.shape[1] as number;
  const saved = (model.getUserDefinedMetadata() as { classNames?: string[] } | undefined)?.classNames;
  const labelNames = options.labels ?? saved ?? Array.from({ length: classes }, (_, c) => String(c));
  if (classes !== labelNames.length)
    throw new Error(`model has ${classes} outputs but ${labelNames.length} labels were given`);
  const keep: number[] = [];
  data.labels.forEach((l, i) => {
    if (l >= classes)
      throw new Error(`${split}: label ${l} at row ${i} but the model has ${classes} classes`);
    if (l >= 0) keep.push(i);
  });
  const pixels = new Uint8Array(keep.length * PIXELS);
  keep.forEach((src, k) => {
    pixels.set(data.pixels.subarray(src * PIXELS, (src + 1) * PIXELS), k * PIXELS);
  });
  const probs = await predictProbabilities(model, pixels, options);
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
    tta: options.tta === true,
  };
}
