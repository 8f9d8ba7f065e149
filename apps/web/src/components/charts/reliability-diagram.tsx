"use client";

import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

export type TCalibrationBin = {
  confidence: number;
  accuracy: number;
  count: number;
  lo?: number;
  hi?: number;
};

// Reliability diagram: per confidence bin, observed accuracy (bars) against the diagonal of perfect
// calibration (line). Empty bins are dropped: an empty bin has no accuracy, not zero accuracy.
export function ReliabilityDiagram(props: { bins: TCalibrationBin[]; ece: number | null }) {
  const data = props.bins
    .filter((b) => b.count > 0)
    .map((b) => ({
      bin: Number(b.confidence.toFixed(3)),
      accuracy: b.accuracy,
      confidence: b.confidence,
      count: b.count,
    }));
  if (data.length === 0) {
    return <p className="py-8 text-center text-sm text-slate-500">No calibration bins recorded.</p>;
  }
  return (
    <div data-testid="reliability-diagram">
      <ResponsiveContainer width="100%" height={260}>
        <ComposedChart data={data} margin={{ top: 4, right: 12, bottom: 16, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
          <XAxis
            dataKey="bin"
            type="number"
            domain={[0, 1]}
            ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]}
            tick={{ fontSize: 11 }}
            label={{ value: "mean confidence in bin", position: "insideBottom", offset: -10, fontSize: 11 }}
          />
          <YAxis
            domain={[0, 1]}
            tick={{ fontSize: 11 }}
            width={40}
            tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
          />
          <Tooltip
            formatter={(v, name) =>
              typeof v === "number" && name !== "images" ? `${(v * 100).toFixed(1)}%` : String(v)
            }
            labelFormatter={(l) => `confidence ≈ ${Number(l).toFixed(2)}`}
          />
          <Bar dataKey="accuracy" name="accuracy" fill="#6366f1" barSize={18} isAnimationActive={false} />
          <Line
            dataKey="confidence"
            name="perfect calibration"
            stroke="#94a3b8"
            strokeDasharray="4 4"
            dot={false}
            isAnimationActive={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
      <p className="text-xs text-slate-500">
        ECE {props.ece === null ? "—" : props.ece.toFixed(3)} · {data.reduce((a, b) => a + b.count, 0)} images
        in {data.length} non-empty bins
      </p>
    </div>
  );
}
