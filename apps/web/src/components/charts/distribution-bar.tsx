"use client";

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

// Label distribution of a snapshot (or any label -> count map), one bar per label in taxonomy order.
export function DistributionBar(props: {
  data: { label: string; count: number }[];
  color?: string;
  height?: number;
}) {
  const total = props.data.reduce((a, b) => a + b.count, 0);
  return (
    <ResponsiveContainer width="100%" height={props.height ?? 220}>
      <BarChart data={props.data} margin={{ top: 4, right: 8, bottom: 36, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="label" tick={{ fontSize: 10 }} interval={0} angle={-35} textAnchor="end" />
        <YAxis tick={{ fontSize: 11 }} width={48} />
        <Tooltip
          formatter={(v) =>
            typeof v === "number"
              ? `${v.toLocaleString()} (${total ? ((v / total) * 100).toFixed(1) : 0}%)`
              : String(v)
          }
        />
        <Bar
          dataKey="count"
          name="images"
          fill={props.color ?? "#4f46e5"}
          radius={[3, 3, 0, 0]}
          isAnimationActive={false}
        />
      </BarChart>
    </ResponsiveContainer>
  );
}
