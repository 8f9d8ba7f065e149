import type { ReactNode } from "react";

// Frame for every chart: a title, the split(s) the numbers come from, and an optional note.
export function ChartCard(props: {
  title: ReactNode;
  split?: string;
  note?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid={props.testId}>
      <header className="mb-3 flex items-baseline justify-between gap-3">
        <h3 className="text-sm font-semibold text-slate-800">{props.title}</h3>
        {props.split ? (
          <span className="rounded-full bg-slate-100 px-2 py-0.5 text-[11px] font-medium uppercase tracking-wide text-slate-600">
            split: {props.split}
          </span>
        ) : null}
      </header>
      {props.children}
      {props.note ? <p className="mt-2 text-xs text-slate-500">{props.note}</p> : null}
    </section>
  );
}
