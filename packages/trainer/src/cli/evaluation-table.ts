import { TWIN_RULE } from "@concord/importer/twins";
import type { TEvaluation } from "../types";

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/**
 * The split's figures side by side: the whole split and the split without its train twins, with n each.
 * `selectedOn` (the valid split of a training run): the rule that chose the checkpoint, printed under them.
 */
export function formatSideBySide(e: TEvaluation, selectedOn?: string): string[] {
  const row = (name: string, n: number, acc: number, f1: number) =>
    `  ${name.padEnd(21)} ${String(n).padStart(6)} ${pct(acc).padStart(9)} ${f1.toFixed(4).padStart(9)}`;
  const t = e.withoutTrainTwins;
  return [
    `  ${e.split.padEnd(21)} ${"n".padStart(6)} ${"accuracy".padStart(9)} ${"macro-F1".padStart(9)}`,
    row(`whole split${selectedOn ? " *" : ""}`, e.n, e.accuracy, e.macroF1),
    t
      ? `${row("without train twins", t.n, t.accuracy, t.macroF1)}   left out: ${t.twins.exactOrNear} (${t.twins.exact} exact, ${t.twins.exactOrNear - t.twins.exact} near)`
      : "  without train twins   not computed (needs the train split beside it; n/a for the train split itself)",
    `  (${TWIN_RULE})`,
    ...(selectedOn ? [`  * chose the checkpoint: ${selectedOn}`] : []),
  ];
}

/**
 * The decision-bias figures under the argmax ones: cross-fitted (mean ± SD over random halvings) on the split the
 * biases were fitted on, applied as stored elsewhere; the per-class F1 and the biases themselves.
 */
export function formatDecisions(e: TEvaluation): string[] {
  const d = e.decisions;
  if (!d) return [];
  const sd = (v: number | null, f: (x: number) => string) => (v === null ? "" : ` ± ${f(v)}`);
  const cross = d.protocol === "cross-fitted";
  const acc = `${pct(d.accuracy)}${sd(d.accuracySd, (x) => (x * 100).toFixed(2))}`;
  const f1 = `${d.macroF1.toFixed(4)}${sd(d.macroF1Sd, (x) => x.toFixed(4))}`;
  const t = d.withoutTrainTwins;
  return [
    cross
      ? `  decided with per-class biases, fitted on this split (${d.fittedOn}) and scored cross-fitted: mean ± SD over ${d.halvings} random halvings, each half decided with biases fitted on the other`
      : `  decided with per-class biases fitted on ${d.fittedOn} (held out from this split)`,
    `  ${"whole split".padEnd(21)} ${String(e.n).padStart(6)} ${acc.padStart(cross ? 16 : 9)} ${f1.padStart(cross ? 17 : 9)}`,
    ...(t
      ? [
          `  ${"without train twins".padEnd(21)} ${String(t.n).padStart(6)} ${pct(t.accuracy).padStart(cross ? 16 : 9)} ${t.macroF1.toFixed(4).padStart(cross ? 17 : 9)}`,
        ]
      : []),
    `  per-class F1: ${e.labels.map((l, c) => `${l} ${(d.perClassF1[c] ?? 0).toFixed(2)}`).join(", ")}`,
    `  biases (added to log p): ${e.labels.map((l, c) => `${l} ${d.biases[c]}`).join(", ")}`,
  ];
}

/**
 * Plain-text metrics table: summary line, whole split vs without train twins, per-class P/R/F1/support,
 * confusion matrix (rows = true).
 */
export function formatEvaluation(e: TEvaluation, selectedOn?: string): string {
  const w = Math.max(10, ...e.labels.map((l) => l.length));
  const lines = [
    `split ${e.split}: n=${e.n} accuracy ${pct(e.accuracy)} macro-F1 ${e.macroF1.toFixed(4)} loss ${e.loss.toFixed(4)} ECE ${e.ece.toFixed(4)}${e.tta ? " (TTA)" : ""}`,
    ...formatSideBySide(e, selectedOn),
    ...formatDecisions(e),
    `${"class".padEnd(w)}  precision  recall     f1  support   (whole split)`,
    ...e.perClass.map(
      (c) =>
        `${c.label.padEnd(w)}  ${c.precision.toFixed(4).padStart(9)} ${c.recall.toFixed(4).padStart(7)} ${c.f1.toFixed(4).padStart(6)} ${String(c.support).padStart(8)}`,
    ),
    `confusion (rows true, cols predicted: ${e.labels.map((l) => l.slice(0, 4)).join(" ")})`,
    ...e.confusion.map(
      (row, i) => `${(e.labels[i] ?? "").padEnd(w)} ${row.map((v) => String(v).padStart(5)).join("")}`,
    ),
  ];
  return lines.join("\n");
}
