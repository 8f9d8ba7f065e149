"use client";

import { useMemo, useState } from "react";
import {
  CartesianGrid,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from "recharts";
import { seriesColor } from "./palette";

export type TScatterPoint = { label: string; agreement: number; f1: number; support: number };
export type TScatterRun = { runId: string; name: string; split: string; points: TScatterPoint[] };

// THE scatter: per class, crowd agreement (x) against model F1 (y), one point per class per selected run.
// Hard-to-agree classes are expected bottom-left; points far from that trend are where the model, not the
// crowd, is the problem.
export function AgreementScatter(props: {
  runs: TScatterRun[];
  agreementSource: string;
  initialSelected?: string[];
}) {
  const [selected, setSelected] = useState<string[]>(
    props.initialSelected ?? props.runs.slice(0, 1).map((r) => r.runId),
  );
  const shown = useMemo(() => props.runs.filter((r) => selected.includes(r.runId)), [props.runs, selected]);
  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  return (
    <div data-testid="agreement-scatter" data-points={shown.reduce((n, r) => n + r.points.length, 0)}>
      {props.runs.length > 1 ? (
        <fieldset className="mb-3 flex flex-wrap gap-2">
          <legend className="sr-only">Runs shown</legend>
          {props.runs.map((r, i) => (
            <label
              key={r.runId}
              className="inline-flex cursor-pointer items-center gap-1.5 rounded-full border border-slate-200 px-2.5 py-1 text-xs"
            >
              <input type="checkbox" checked={selected.includes(r.runId)} onChange={() => toggle(r.runId)} />
              <span
                className="inline-block h-2.5 w-2.5 rounded-full"
                style={{ background: seriesColor(i) }}
              />
              {r.name} <span className="text-slate-400">({r.split})</span>
            </label>
          ))}
        </fieldset>
      ) : null}
      <ResponsiveContainer width="100%" height={360}>
        <ScatterChart margin={{ top: 8, right: 24, bottom: 28, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
          <XAxis
            type="number"
            dataKey="agreement"
            name="agreement"
            domain={[0, 1]}
            tick={{ fontSize: 11 }}
            label={{
              value: `annotator agreement per class (${props.agreementSource})`,
              position: "insideBottom",
              offset: -16,
              fontSize: 11,
            }}
          />
          <YAxis
            type="number"
            dataKey="f1"
            name="F1"
            domain={[0, 1]}
            tick={{ fontSize: 11 }}
            width={44}
            label={{ value: "model F1", angle: -90, position: "insideLeft", fontSize: 11 }}
          />
          <ZAxis type="number" dataKey="support" range={[60, 260]} name="support" />
          <Tooltip
            cursor={{ strokeDasharray: "3 3" }}
            content={({ payload }) => {
              const p = payload?.[0]?.payload as TScatterPoint | undefined;
              if (!p) return null;
              return (
                <div className="rounded border border-slate-200 bg-white px-2 py-1 text-xs shadow">
                  <div className="font-semibold">{p.label}</div>
                  <div>agreement {p.agreement.toFixed(3)}</div>
                  <div>F1 {p.f1.toFixed(3)}</div>
                  <div>support {p.support}</div>
                </div>
              );
            }}
          />
          {shown.map((r) => (
            <Scatter
              key={r.runId}
              name={`${r.name} (${r.split})`}
              data={r.points}
              fill={seriesColor(props.runs.findIndex((x) => x.runId === r.runId))}
              isAnimationActive={false}
              label={{ dataKey: "label", position: "top", fontSize: 10, fill: "#475569" }}
              data-testid="scatter-series"
            />
          ))}
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
