import type { TEvaluationView } from "@/server/runs/runs";
import { StatusBadge } from "./status-badge";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const count = (x: number) => x.toLocaleString("en-US");

/**
 * A run's evaluations, one row per split: the whole split and the split without its train twins side by side,
 * n with each, the twins left out, and which figure chose the checkpoint. Server and client pages alike.
 */
export function EvaluationTable(props: {
  evaluations: TEvaluationView[];
  checkpointSelectedOn: string;
  /** VALID: the Valid row's whole-split accuracy chose the checkpoint (starred); HOLDOUT: no row here did. */
  checkpointSplit: "VALID" | "HOLDOUT";
  twinRule: string;
  /** Loss and ECE columns (whole split) as well. */
  withLossAndEce?: boolean;
}) {
  const th = "px-3 py-2 text-right";
  const td = "px-3 py-2 text-right tabular-nums";
  return (
    <div
      className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm"
      data-testid="evaluation-table"
    >
      <table className="min-w-full text-sm">
        <thead className="bg-slate-50 text-xs text-slate-600">
          <tr>
            <th className="px-3 py-2 text-left" rowSpan={2}>
              Split
            </th>
            <th
              className="border-l border-slate-200 px-3 py-1 text-center"
              colSpan={props.withLossAndEce ? 5 : 3}
            >
              Whole split
            </th>
            <th className="border-l border-slate-200 px-3 py-1 text-center" colSpan={4}>
              Without train twins
            </th>
          </tr>
          <tr>
            <th className={`${th} border-l border-slate-200`}>n</th>
            <th className={th}>Accuracy</th>
            <th className={th}>Macro-F1</th>
            {props.withLossAndEce ? (
              <>
                <th className={th}>Loss</th>
                <th className={th}>ECE</th>
              </>
            ) : null}
            <th className={`${th} border-l border-slate-200`}>n</th>
            <th className={th}>Accuracy</th>
            <th className={th}>Macro-F1</th>
            <th
              className={th}
              title="labelled faces left out: with an exact twin / with an exact or near twin"
            >
              Left out (exact / all)
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {props.evaluations.map((e) => {
            const t = e.withoutTrainTwins;
            const selects = e.split === "VALID" && props.checkpointSplit === "VALID";
            return (
              <tr key={e.split} data-split={e.split}>
                <td className="px-3 py-2">
                  <StatusBadge status={e.split} />
                </td>
                <td className={`${td} border-l border-slate-100`} data-testid="n-whole">
                  {count(e.n)}
                </td>
                <td className={td} data-testid="accuracy-whole">
                  {pct(e.accuracy)}
                  {selects ? (
                    <sup
                      className="ml-0.5 text-indigo-700"
                      title={`chose the checkpoint: ${props.checkpointSelectedOn}`}
                    >
                      *
                    </sup>
                  ) : null}
                </td>
                <td className={td}>{pct(e.macroF1)}</td>
                {props.withLossAndEce ? (
                  <>
                    <td className={td}>{e.loss.toFixed(4)}</td>
                    <td className={td}>{e.ece.toFixed(3)}</td>
                  </>
                ) : null}
                {t ? (
                  <>
                    <td className={`${td} border-l border-slate-100`} data-testid="n-without-twins">
                      {count(t.n)}
                    </td>
                    <td className={td} data-testid="accuracy-without-twins">
                      {pct(t.accuracy)}
                    </td>
                    <td className={td}>{pct(t.macroF1)}</td>
                    <td className={td}>
                      {count(t.exactTwins)} / {count(t.exactOrNearTwins)}
                    </td>
                  </>
                ) : (
                  <td
                    className="border-l border-slate-100 px-3 py-2 text-center text-xs text-slate-500"
                    colSpan={4}
                    data-testid="without-twins-missing"
                  >
                    {e.split === "TRAIN"
                      ? "n/a: the train split itself"
                      : "not computed (stored before twin figures existed)"}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      <TwinNote
        selectedOn={props.checkpointSelectedOn}
        twinRule={props.twinRule}
        testId="checkpoint-selection"
      />
    </div>
  );
}

/** The footnote under figures: what chose the checkpoint (the starred figure), what "without train twins" omits. */
export function TwinNote(props: { selectedOn: string; twinRule: string; testId: string; extra?: string }) {
  return (
    <p className="border-t border-slate-100 px-3 py-2 text-xs text-slate-500" data-testid={props.testId}>
      * chose the checkpoint: {props.selectedOn}. {props.twinRule[0]?.toUpperCase()}
      {props.twinRule.slice(1)}.{props.extra ? ` ${props.extra}` : ""}
    </p>
  );
}
