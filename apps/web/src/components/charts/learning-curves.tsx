"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartCard } from "./chart-card";
import { SPLIT_COLORS } from "./palette";

export type TEpochPoint = {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  /** Valid accuracy without the faces that have a train twin; null when not computed. */
  valAccuracyWithoutTwins?: number | null;
};

function Curve(props: { data: TEpochPoint[]; metric: "Loss" | "Accuracy" }) {
  const isAcc = props.metric === "Accuracy";
  return (
    <ResponsiveContainer width="100%" height={240}>
      <LineChart data={props.data} margin={{ top: 4, right: 12, bottom: 4, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
        <XAxis
          dataKey="epoch"
          tick={{ fontSize: 11 }}
          label={{ value: "epoch", position: "insideBottomRight", offset: -2, fontSize: 11 }}
        />
        <YAxis
          tick={{ fontSize: 11 }}
          width={44}
          domain={isAcc ? [0, 1] : ["auto", "auto"]}
          tickFormatter={(v: number) => (isAcc ? `${Math.round(v * 100)}%` : v.toFixed(2))}
        />
        <Tooltip
          formatter={(v) =>
            typeof v === "number" ? (isAcc ? `${(v * 100).toFixed(1)}%` : v.toFixed(4)) : String(v)
          }
          labelFormatter={(l) => `epoch ${l}`}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Line
          type="monotone"
          dataKey={isAcc ? "trainAccuracy" : "trainLoss"}
          name={`train ${props.metric.toLowerCase()}`}
          stroke={SPLIT_COLORS.train}
          strokeWidth={2}
          dot={{ r: 2 }}
          isAnimationActive={false}
        />
        <Line
          type="monotone"
          dataKey={isAcc ? "valAccuracy" : "valLoss"}
          name={`valid ${props.metric.toLowerCase()}`}
          stroke={SPLIT_COLORS.valid}
          strokeWidth={2}
          dot={{ r: 2 }}
          connectNulls
          isAnimationActive={false}
        />
        {isAcc && props.data.some((e) => typeof e.valAccuracyWithoutTwins === "number") ? (
          <Line
            type="monotone"
            dataKey="valAccuracyWithoutTwins"
            name="valid accuracy without train twins"
            stroke={SPLIT_COLORS.valid}
            strokeDasharray="5 3"
            strokeWidth={2}
            dot={{ r: 2 }}
            connectNulls
            isAnimationActive={false}
          />
        ) : null}
      </LineChart>
    </ResponsiveContainer>
  );
}

export function LearningCurves(props: { epochs: TEpochPoint[]; checkpointSplit: "VALID" | "HOLDOUT" }) {
  if (props.epochs.length === 0) {
    return (
      <div className="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-500">
        No epoch finished yet — curves appear after the first epoch.
      </div>
    );
  }
  return (
    <div className="grid gap-4 md:grid-cols-2" data-testid="learning-curves">
      <ChartCard title="Loss per epoch" split="train / valid">
        <Curve data={props.epochs} metric="Loss" />
      </ChartCard>
      <ChartCard
        title="Accuracy per epoch"
        split="train / valid"
        note={
          props.checkpointSplit === "VALID"
            ? "valid: the whole split (it chooses the checkpoint) and, dashed, without train twins"
            : "valid: a stratified hold-out of the train faces (no Valid split; it chooses the checkpoint)"
        }
      >
        <Curve data={props.epochs} metric="Accuracy" />
      </ChartCard>
    </div>
  );
}
