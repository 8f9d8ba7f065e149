import type { TTwinKind } from "@concord/importer/twins";
import type { TCalibration, TClassReport, TTwinFreeMetrics } from "../types";

/** confusion[true][pred] from labels and predictions; labels < 0 (no majority) are skipped. */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  classes: number,
): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i] as number;
    const p = predictions[i] as number;
    if (t < 0) continue;
    const row = m[t];
    if (!row || p < 0 || p >= classes)
      throw new Error(`label ${t} or prediction ${p} out of range 0..${classes - 1}`);
    row[p] = (row[p] as number) + 1;
  }
  return m;
}

/** Per-class precision/recall/F1/support; a class never predicted (or absent) scores 0, not NaN. */
export function classReports(confusion: number[][], labelNames: readonly string[]): TClassReport[] {
  const k = confusion.length;
  return Array.from({ length: k }, (_, c) => {
    const tp = confusion[c]?.[c] ?? 0;
    const support = (confusion[c] ?? []).reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += confusion[r]?.[c] ?? 0;
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label: labelNames[c] ?? String(c), precision, recall, f1, support };
  });
}

/** Macro-F1 over the classes that have support (absent classes would only add zeros). */
export function macroF1(reports: TClassReport[]): number {
  const present = reports.filter((r) => r.support > 0);
  return present.length === 0 ? 0 : present.reduce((a, r) => a + r.f1, 0) / present.length;
}

export function accuracyOf(confusion: number[][]): number {
  let correct = 0;
  let total = 0;
  confusion.forEach((row, i) => {
    correct += row[i] ?? 0;
    total += row.reduce((a, b) => a + b, 0);
  });
  return total > 0 ? correct / total : 0;
}

/** Expected calibration error with equal-width confidence bins (top-1 confidence vs accuracy). */
export function calibration(
  confidences: ArrayLike<number>,
  correct: ArrayLike<boolean | number>,
  bins = 15,
): TCalibration {
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const acc = new Array<number>(bins).fill(0);
  const n = confidences.length;
  for (let i = 0; i < n; i++) {
    const c = confidences[i] as number;
    const b = Math.min(bins - 1, Math.floor(c * bins));
    count[b] = (count[b] as number) + 1;
    conf[b] = (conf[b] as number) + c;
    acc[b] = (acc[b] as number) + (correct[i] ? 1 : 0);
  }
  let ece = 0;
  const out: TCalibration["bins"] = [];
  for (let b = 0; b < bins; b++) {
    const k = count[b] as number;
    const meanConf = k > 0 ? (conf[b] as number) / k : 0;
    const meanAcc = k > 0 ? (acc[b] as number) / k : 0;
    if (n > 0) ece += (k / n) * Math.abs(meanAcc - meanConf);
    out.push({ lower: b / bins, upper: (b + 1) / bins, count: k, confidence: meanConf, accuracy: meanAcc });
  }
  return { ece, bins: out };
}

/**
 * Accuracy and macro-F1 over the faces without a train twin (exact or near); labels, predictions and twins
 * row for row, labels < 0 skipped as everywhere. `twins` counts the labelled faces left out.
 */
export function twinFreeMetrics(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  twins: readonly (TTwinKind | null)[],
  labelNames: readonly string[],
): TTwinFreeMetrics {
  if (twins.length !== labels.length || predictions.length !== labels.length)
    throw new Error(`${labels.length} labels, ${predictions.length} predictions, ${twins.length} twin marks`);
  const keptLabels: number[] = [];
  const keptPredictions: number[] = [];
  let exact = 0;
  let exactOrNear = 0;
  for (let i = 0; i < labels.length; i++) {
    if ((labels[i] as number) < 0) continue;
    const twin = twins[i];
    if (twin) {
      exactOrNear++;
      if (twin === "EXACT") exact++;
      continue;
    }
    keptLabels.push(labels[i] as number);
    keptPredictions.push(predictions[i] as number);
  }
  const confusion = confusionMatrix(keptLabels, keptPredictions, labelNames.length);
  return {
    n: keptLabels.length,
    accuracy: accuracyOf(confusion),
    macroF1: macroF1(classReports(confusion, labelNames)),
    twins: { exact, exactOrNear },
  };
}
