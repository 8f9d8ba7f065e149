import { Rng } from "../loop/seeded-rng";
import type { TImageSet, TTrainData } from "../types";
import { PIXELS } from "./augment";

export class DataError extends Error {
  override name = "DataError";
}

/** Checks array sizes against each other and the class count; throws a DataError naming the problem. */
export function validateData(data: TTrainData): void {
  const classes = data.classNames.length;
  if (classes < 2) throw new DataError(`need at least 2 classes (got ${classes})`);
  const n = data.train.labels.length;
  if (n === 0) throw new DataError("train split is empty");
  if (data.train.pixels.length !== n * PIXELS) {
    throw new DataError(
      `train.pixels has ${data.train.pixels.length} bytes; expected ${n} x 48 x 48 = ${n * PIXELS}`,
    );
  }
  if (data.train.targets.length !== n * classes) {
    throw new DataError(`train.targets has ${data.train.targets.length} values; expected ${n} x ${classes}`);
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < classes; c++) {
      const v = data.train.targets[i * classes + c] as number;
      if (!(v >= 0)) throw new DataError(`train.targets row ${i} has a negative or NaN value`);
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) throw new DataError(`train.targets row ${i} sums to ${s.toFixed(4)}, not 1`);
  }
  for (const [name, set] of [
    ["valid", data.valid],
    ["test", data.test],
  ] as const) {
    if (!set) continue;
    if (set.pixels.length !== set.labels.length * PIXELS)
      throw new DataError(`${name}.pixels does not hold ${set.labels.length} images`);
    for (const l of set.labels)
      if (l >= classes) throw new DataError(`${name} label ${l} >= class count ${classes}`);
  }
}

/**
 * Stratified hold-out by consensus label: from each class, round(fraction * count) items (at least one when the
 * class has two or more) go to valid, chosen by a seeded shuffle. Items with label -1 stay in train.
 */
/** Item indices per label, labels in ascending order (the order the seeded shuffles consume the rng in). */
function indicesByClass(labels: Int32Array): [number, number[]][] {
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => {
    const list = byClass.get(l) ?? [];
    list.push(i);
    byClass.set(l, list);
  });
  return [...byClass.entries()].sort((a, b) => a[0] - b[0]);
}

export function stratifiedSplit(
  labels: Int32Array,
  fraction: number,
  seed: number,
): { train: number[]; valid: number[] } {
  if (!(fraction > 0 && fraction < 1))
    throw new DataError(`validation fraction must be in (0, 1) (got ${fraction})`);
  const rng = new Rng(seed);
  const train: number[] = [];
  const valid: number[] = [];
  for (const [label, items] of indicesByClass(labels)) {
    if (label < 0) {
      train.push(...items);
      continue;
    }
    rng.shuffle(items);
    const k = items.length >= 2 ? Math.max(1, Math.round(fraction * items.length)) : 0;
    valid.push(...items.slice(0, k));
    train.push(...items.slice(k));
  }
  return { train: train.sort((a, b) => a - b), valid: valid.sort((a, b) => a - b) };
}

/**
 * K-fold assignment for cross-fitting: fold[i] in 0..k-1, stratified by label (each class is shuffled with
 * `seed` and dealt round-robin, the deal continuing across classes), so fold sizes differ by at most one
 * overall and per class. Unlabelled items (label < 0) are dealt like a class of their own.
 */
export function stratifiedFolds(labels: Int32Array, k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new DataError(`folds must be an integer >= 2 (got ${k})`);
  if (labels.length < k) throw new DataError(`${labels.length} items cannot fill ${k} folds`);
  const rng = new Rng(seed);
  const fold = new Int32Array(labels.length);
  let next = 0;
  for (const [, items] of indicesByClass(labels)) {
    rng.shuffle(items);
    for (const i of items) {
      fold[i] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}

/** The faces `indices` (48x48 each) of `pixels`, in that order. */
export function subsetPixels(pixels: Uint8Array, indices: readonly number[]): Uint8Array {
  const out = new Uint8Array(indices.length * PIXELS);
  indices.forEach((src, k) => {
    out.set(pixels.subarray(src * PIXELS, (src + 1) * PIXELS), k * PIXELS);
  });
  return out;
}

export function subsetImages(set: TImageSet, indices: number[]): TImageSet {
  return {
    pixels: subsetPixels(set.pixels, indices),
    labels: Int32Array.from(indices, (i) => set.labels[i]!),
  };
}

export function subsetTargets(targets: Float32Array, classes: number, indices: number[]): Float32Array {
  const out = new Float32Array(indices.length * classes);
  indices.forEach((src, k) => {
    out.set(targets.subarray(src * classes, (src + 1) * classes), k * classes);
  });
  return out;
}

/**
 * The class prior of soft targets: the mean target row (N x C), floored at 1e-6 so that log(prior) stays
 * finite for a class no row gives weight to.
 */
export function classPrior(targets: Float32Array, classes: number): Float32Array {
  const n = targets.length / classes;
  const sum = new Float64Array(classes);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < classes; c++) sum[c] = (sum[c] as number) + (targets[i * classes + c] as number);
  return Float32Array.from(sum, (s) => Math.max(s / Math.max(n, 1), 1e-6));
}

/**
 * Class weights by training label, normalised so the mean example weight is 1. beta = 1 (the default):
 * inverse frequency, 1 / n_c. beta < 1: the class-balanced loss of Cui et al. 2019, 1 / the effective number
 * (1 - beta^n_c) / (1 - beta), which tends to 1 / n_c as beta -> 1 and to equal weights at 0; a class's weight
 * stops growing once n_c is small next to 1 / (1 - beta), so the rarest classes weigh less than 1 / n_c says.
 */
export function classWeights(labels: Int32Array, classes: number, beta = 1): Float32Array {
  const counts = new Float64Array(classes);
  let n = 0;
  for (const l of labels) {
    if (l >= 0) {
      counts[l] = (counts[l] as number) + 1;
      n++;
    }
  }
  // 1 - beta^n as -expm1(n log beta): exact for beta near 1, where 1 - beta^n loses its digits.
  const effective = (count: number) => (beta >= 1 ? count : -Math.expm1(count * Math.log(beta)) / (1 - beta));
  const w = new Float32Array(classes);
  for (let c = 0; c < classes; c++)
    w[c] = (counts[c] as number) > 0 ? n / (classes * effective(counts[c] as number)) : 0;
  let mean = 0;
  for (const l of labels) mean += l >= 0 ? (w[l] as number) : 1;
  mean /= Math.max(labels.length, 1);
  return w.map((v) => v / mean);
}
