"use client";

import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { seriesColor } from "./palette";

export type TCompareRun = {
  id: string;
  name: string;
  epochs: { epoch: number; valAccuracy: number | null; trainLoss: number }[];
  perClass: { label: string; f1: number }[];
};

// Valid accuracy per epoch, one line per run.
export function CompareCurves(props: { runs: TCompareRun[] }) {
  const maxEpoch = Math.max(0, ...props.runs.flatMap((r) => r.epochs.map((e) => e.epoch)));
  const data = Array.from({ length: maxEpoch }, (_, i) => {
    const row: Record<string, number | null> = { epoch: i + 1 };
    for (const r of props.runs) row[r.id] = r.epochs.find((e) => e.epoch === i + 1)?.valAccuracy ?? null;
    return row;
  });
  return (
    <ResponsiveContainer width="100%" height={280}>
      <LineChart data={data} margin={{ top: 4, right: 12, bottom: 4, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
        <XAxis dataKey="epoch" tick={{ fontSize: 11 }} />
        <YAxis
          domain={[0, 1]}
          tick={{ fontSize: 11 }}
          width={44}
          tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
        />
        <Tooltip formatter={(v) => (typeof v === "number" ? `${(v * 100).toFixed(1)}%` : String(v))} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {props.runs.map((r, i) => (
          <Line
            key={r.id}
            dataKey={r.id}
            name={r.name}
            stroke={seriesColor(i)}
            strokeWidth={2}
            dot={{ r: 2 }}
            connectNulls
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}

// Per-class F1, grouped bars: one group per class, one bar per run.
export function CompareF1(props: { runs: TCompareRun[]; labels: string[] }) {
  const data = props.labels.map((label) => {
    const row: Record<string, number | string | null> = { label };
    for (const r of props.runs) row[r.id] = r.perClass.find((p) => p.label === label)?.f1 ?? null;
    return row;
  });
  return (
    <ResponsiveContainer width="100%" height={300}>
      <BarChart data={data} margin={{ top: 4, right: 12, bottom: 36, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="label" tick={{ fontSize: 10 }} interval={0} angle={-35} textAnchor="end" />
        <YAxis domain={[0, 1]} tick={{ fontSize: 11 }} width={40} />
        <Tooltip formatter={(v) => (typeof v === "number" ? v.toFixed(3) : String(v))} />
        <Legend wrapperStyle={{ fontSize: 12 }} verticalAlign="top" />
        {props.runs.map((r, i) => (
          <Bar key={r.id} dataKey={r.id} name={r.name} fill={seriesColor(i)} isAnimationActive={false} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}
