import { heatColor } from "./palette";

// Confusion matrix as a heatmap: rows = true label, columns = predicted. Colour = row-normalised rate
// (recall view), the cell text = count, so rare classes are as readable as frequent ones.
// Also used for Dawid-Skene annotator matrices, where `matrix` already holds probabilities; `counts` then
// gives the votes behind each cell (shown under the probability, and per row beside its label).
export function ConfusionHeatmap(props: {
  labels: string[];
  matrix: number[][];
  counts?: number[][];
  rowTitle?: string;
  colTitle?: string;
  isProbability?: boolean;
  testId?: string;
}) {
  const { labels, matrix, isProbability, counts } = props;
  const rowSums = matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const countSums = counts?.map((r) => r.reduce((a, b) => a + b, 0));
  return (
    <div className="overflow-x-auto" data-testid={props.testId ?? "confusion-heatmap"}>
      <table className="border-separate border-spacing-0.5 text-[11px]">
        <thead>
          <tr>
            <th className="px-1 text-right text-[10px] font-normal text-slate-400">
              {props.rowTitle ?? "true"} ↓ / {props.colTitle ?? "predicted"} →
            </th>
            {labels.map((l) => (
              <th key={l} className="h-20 w-10 align-bottom font-medium text-slate-600">
                <div className="mx-auto w-4 origin-bottom-left translate-x-3 -rotate-45 whitespace-nowrap">
                  {l}
                </div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={labels[i] ?? i}>
              <th className="whitespace-nowrap px-2 text-right font-medium text-slate-600">
                {labels[i]}
                {isProbability && countSums ? (
                  <span className="ml-1 font-normal text-slate-400" data-testid="row-votes">
                    n={countSums[i] ?? 0}
                  </span>
                ) : null}
              </th>
              {row.map((v, j) => {
                const rate = isProbability ? v : rowSums[i] ? v / rowSums[i]! : 0;
                const style = heatColor(rate);
                const n = counts?.[i]?.[j] ?? 0;
                return (
                  <td
                    key={labels[j] ?? j}
                    title={`${labels[i]} → ${labels[j]}: ${isProbability ? `${v.toFixed(3)}${counts ? ` · ${n} votes` : ""}` : `${v} (${(rate * 100).toFixed(1)}% of row)`}`}
                    className={`h-9 w-10 rounded text-center tabular-nums leading-tight ${i === j ? "ring-1 ring-slate-400" : ""}`}
                    style={style}
                  >
                    {isProbability ? v.toFixed(2) : v}
                    {isProbability && counts ? <div className="text-[9px] opacity-70">{n}</div> : null}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
