import type { ReactNode } from "react";

// A headline number with what it measures and where it comes from (split, n): never a bare number.
export function StatCard(props: { label: ReactNode; value: ReactNode; sub?: ReactNode; testId?: string }) {
  return (
    <div
      className="rounded-xl border border-slate-200 bg-white px-4 py-3 shadow-sm"
      data-testid={props.testId}
    >
      <div className="text-xs font-medium text-slate-500">{props.label}</div>
      <div className="mt-1 text-2xl font-semibold tabular-nums text-slate-900">{props.value}</div>
      {props.sub ? <div className="mt-0.5 text-xs text-slate-500">{props.sub}</div> : null}
    </div>
  );
}
