import type { TAggregateResult } from "../types";
import { csvField } from "./csv";
import type { TLoaded } from "./load";

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * CSV: one row per task: task, then per method its label (empty = excluded) and, for a single method,
 * one p_<class> column per class. JSON: per method the labels, posteriors and worker parameters.
 */
export function formatResult(kind: "csv" | "json", loaded: TLoaded, results: TAggregateResult[]): string {
  const { tasks, classes, workers } = loaded;
  const C = classes.length;
  if (kind === "json") {
    return `${JSON.stringify(
      {
        classes,
        methods: results.map((r) => ({
          method: r.method,
          iterations: r.iterations,
          converged: r.converged,
          stopReason: r.stopReason,
          logLikelihood: r.logLikelihood,
          expectedLogLikelihood: r.expectedLogLikelihood,
          objective: r.objective,
          classPriors: r.classPriors ? Array.from(r.classPriors, round) : null,
          items: tasks.map((task, i) => ({
            task,
            label: r.labels[i]! >= 0 ? classes[r.labels[i]!] : null,
            posterior: Array.from(r.posteriors.subarray(i * C, i * C + C), round),
          })),
          workers: r.workerSkill
            ? workers.map((worker, w) => ({
                worker,
                skill: round(r.workerSkill![w]!),
                ...(r.workerConfusion
                  ? { confusion: Array.from(r.workerConfusion.subarray(w * C * C, (w + 1) * C * C), round) }
                  : {}),
              }))
            : null,
        })),
      },
      null,
      1,
    )}\n`;
  }
  const single = results.length === 1;
  const header = ["task", ...results.map((r) => (single ? "label" : r.method))];
  if (single) header.push(...classes.map((c) => `p_${c}`));
  const rows = [header.map(csvField).join(",")];
  tasks.forEach((task, i) => {
    const cells: (string | number)[] = [task];
    for (const r of results) cells.push(r.labels[i]! >= 0 ? classes[r.labels[i]!]! : "");
    if (single) for (let c = 0; c < C; c++) cells.push(round(results[0]!.posteriors[i * C + c]!));
    rows.push(cells.map(csvField).join(","));
  });
  return `${rows.join("\n")}\n`;
}
