import type { TEvaluationView } from "@/server/runs/runs";
import { StatusBadge } from "./status-badge";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const count = (x: number) => x.toLocaleString("en-US");
// "86.4% ± 0.29" (cross-fitted: mean ± SD over the halvings) or "86.4%" (held out).
const withSd = (x: number, sd: number | null) =>
  `${pct(x)}${sd === null ? "" : ` ± ${(sd * 100).toFixed(2)}`}`;

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
  const decided = props.evaluations.some((e) => e.decisions);
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
            {decided ? (
              <th className="border-l border-slate-200 px-3 py-1 text-center" colSpan={3}>
                With per-class decision biases
              </th>
            ) : null}
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
            {decided ? (
              <>
                <th className={`${th} border-l border-slate-200`}>Accuracy</th>
                <th className={th}>Macro-F1</th>
                <th className={th}>Without twins (acc / F1)</th>
              </>
            ) : null}
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
                {decided ? <DecidedCells decisions={e.decisions} td={td} /> : null}
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
      {decided ? <DecisionsNote evaluations={props.evaluations} /> : null}
    </div>
  );
}

function DecidedCells(props: { decisions: TEvaluationView["decisions"]; td: string }) {
  const d = props.decisions;
  if (!d)
    return (
      <td className="border-l border-slate-100 px-3 py-2 text-center text-xs text-slate-500" colSpan={3}>
        none stored
      </td>
    );
  const t = d.withoutTrainTwins;
  return (
    <>
      <td
        className={`${props.td} border-l border-slate-100`}
        data-testid="accuracy-decided"
        title={d.protocol === "cross-fitted" ? "mean ± SD over the random halvings" : undefined}
      >
        {withSd(d.accuracy, d.accuracySd)}
        <sup className="ml-0.5 text-emerald-700">{d.protocol === "cross-fitted" ? "†" : "‡"}</sup>
      </td>
      <td className={props.td} data-testid="macro-f1-decided">
        {withSd(d.macroF1, d.macroF1Sd)}
      </td>
      <td className={props.td}>{t ? `${pct(t.accuracy)} / ${pct(t.macroF1)}` : "—"}</td>
    </>
  );
}

/** How the decided figures were made: the biases, where they were fitted, and why that split is cross-fitted. */
function DecisionsNote(props: { evaluations: TEvaluationView[] }) {
  const d = props.evaluations.find((e) => e.decisions)?.decisions;
  if (!d) return null;
  const labels = props.evaluations.find((e) => e.decisions)?.labels ?? [];
  const halvings = props.evaluations.find((e) => e.decisions?.protocol === "cross-fitted")?.decisions
    ?.halvings;
  return (
    <p className="border-t border-slate-100 px-3 py-2 text-xs text-slate-500" data-testid="decisions-note">
      With per-class decision biases: each face is decided by argmax of log p + b, with biases b fitted after
      training on the {d.fittedOn} split to raise macro-F1 without lowering its accuracy (
      {labels.map((l, c) => `${l} ${d.biases[c] ?? 0}`).join(", ")}). † the split they were fitted on, scored
      cross-fitted: mean ± SD over {halvings ?? "the"} random halvings, each half decided with biases fitted
      on the other (never the in-sample figure). ‡ the stored biases applied as they are (held out from this
      split).
    </p>
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
