import type { TEvaluation } from "../types";

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/** Plain-text metrics table: summary line, per-class P/R/F1/support, confusion matrix (rows = true). */
export function formatEvaluation(e: TEvaluation): string {
  const w = Math.max(10, ...e.labels.map((l) => l.length));
  const lines = [
    `split ${e.split}: n=${e.n} accuracy ${pct(e.accuracy)} macro-F1 ${e.macroF1.toFixed(4)} loss ${e.loss.toFixed(4)} ECE ${e.ece.toFixed(4)}${e.tta ? " (TTA)" : ""}`,
    `${"class".padEnd(w)}  precision  recall     f1  support`,
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
