import type { TAggregateResult, TMethod, TVoteSet } from "../types";
import { itemCounts } from "../vote-set";
import { emptyResult } from "./common";

/** Modes of microsoft/FERPlus src/ferplus.py (`training_mode`). */
export type TFerplusMode = "majority" | "probability" | "crossentropy" | "multi_target";

/**
 * Port of FERPlusReader._process_data followed by the load_folders filter, for one face with 10 counts
 * (8 emotions, unknown, not-a-face). Returns the 8-emotion distribution the reader keeps, or null when
 * the face is excluded (its processed top class is unknown or not-a-face, or the mode's rule fails).
 * Float comparisons are the ones Python makes, in the same order, so ties resolve identically.
 */
export function ferplusProcess(counts: ArrayLike<number>, mode: TFerplusMode): Float64Array | null {
  const size = counts.length;
  if (size !== 10) throw new RangeError(`FER+ schemes need 10 counts per face, got ${size}`);
  const raw = Array.from(counts, Number);
  // Outlier removal: a class with a single vote (<= 1 + DBL_EPSILON) is dropped.
  for (let i = 0; i < size; i++) if (raw[i]! < 1 + Number.EPSILON) raw[i] = 0;
  const sumList = sum(raw);
  let emotion = new Array<number>(size).fill(0);
  const unknown = new Array<number>(size).fill(0);
  unknown[size - 2] = 1;

  if (mode === "majority") {
    const maxval = Math.max(...raw);
    if (maxval > 0.5 * sumList) emotion[raw.indexOf(maxval)] = maxval;
    else emotion = unknown;
  } else if (mode === "probability" || mode === "crossentropy") {
    let sumPart = 0;
    let count = 0;
    let valid = true;
    while (sumPart < 0.75 * sumList && count < 3 && valid) {
      const maxval = Math.max(...raw);
      for (let i = 0; i < size; i++) {
        if (raw[i] !== maxval) continue;
        emotion[i] = maxval;
        raw[i] = 0;
        sumPart += emotion[i]!;
        count += 1;
        if (i >= 8) {
          // unknown / not-a-face share the current maximum: stop; drop it if emotions came first
          valid = false;
          if (sum(emotion) > maxval) {
            emotion[i] = 0;
            count -= 1;
          }
          break;
        }
      }
    }
    if (sum(emotion) <= 0.5 * sumList || count > 3) emotion = unknown;
  } else if (mode === "multi_target") {
    for (let i = 0; i < size; i++) if (raw[i]! >= 0.3 * sumList) emotion[i] = raw[i]!;
    if (sum(emotion) <= 0.5 * sumList) emotion = unknown;
  } else {
    throw new RangeError(`unknown FER+ mode ${String(mode)}`);
  }
  const total = sum(emotion);
  const dist = emotion.map((x) => x / total);
  // load_folders: np.argmax (first maximum) must be an emotion, then renormalise over the 8 emotions.
  const top = dist.indexOf(Math.max(...dist));
  if (top >= size - 2) return null;
  const kept = dist.slice(0, size - 2);
  const keptSum = sum(kept);
  return Float64Array.from(kept, (x) => x / keptSum);
}

/**
 * Port of FERPlusReader._process_target: the per-minibatch training target from a kept distribution.
 * "probability" samples a one-hot from the distribution (pass a seeded rng for reproducibility);
 * "multi_target" marks every class present with (1 - 0.001) plus 0.001 everywhere (not normalised, as upstream).
 */
export function ferplusTarget(
  dist: ArrayLike<number>,
  mode: TFerplusMode,
  rng: () => number = Math.random,
): Float64Array {
  const out = Float64Array.from(dist);
  if (mode === "majority" || mode === "crossentropy") return out;
  if (mode === "probability") {
    let u = rng();
    let pick = out.length - 1;
    for (let c = 0; c < out.length; c++) {
      u -= out[c]!;
      if (u < 0) {
        pick = c;
        break;
      }
    }
    out.fill(0);
    out[pick] = 1;
    return out;
  }
  const eps = 0.001;
  for (let c = 0; c < out.length; c++) out[c] = (1 - eps) * (out[c]! > 0 ? 1 : 0) + eps;
  return out;
}

const MODE_OF: Record<string, TFerplusMode> = {
  "ferplus-majority": "majority",
  "ferplus-probability": "probability",
  "ferplus-crossentropy": "crossentropy",
  "ferplus-multitarget": "multi_target",
};

/**
 * FER+ scheme over identified votes plus tallies. Posterior rows are the kept 8-emotion distribution
 * padded with zeros for unknown / not-a-face; excluded faces get label -1 and a zero row.
 * Hard label: argmax of the distribution (first maximum, like np.argmax).
 */
export function ferplusAggregate(set: TVoteSet, method: TMethod): TAggregateResult {
  const mode = MODE_OF[method];
  if (!mode) throw new RangeError(`not a FER+ method: ${method}`);
  if (set.numClasses !== 10)
    throw new RangeError(`FER+ schemes need the 10-class FER+ taxonomy, got ${set.numClasses}`);
  const counts = itemCounts(set);
  const res = emptyResult(set, method);
  for (let i = 0; i < set.numItems; i++) {
    const dist = ferplusProcess(counts.subarray(i * 10, i * 10 + 10), mode);
    if (!dist) continue;
    let best = 0;
    for (let c = 0; c < 8; c++) {
      res.posteriors[i * 10 + c] = dist[c]!;
      if (dist[c]! > dist[best]!) best = c;
    }
    res.labels[i] = best;
  }
  return res;
}

function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}
