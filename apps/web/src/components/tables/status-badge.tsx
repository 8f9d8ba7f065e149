const STYLES: Record<string, string> = {
  QUEUED: "bg-slate-100 text-slate-700 ring-slate-300",
  RUNNING: "bg-sky-50 text-sky-700 ring-sky-300",
  SUCCEEDED: "bg-emerald-50 text-emerald-700 ring-emerald-300",
  FAILED: "bg-rose-50 text-rose-700 ring-rose-300",
  CANCELLED: "bg-amber-50 text-amber-800 ring-amber-300",
  TRAIN: "bg-indigo-50 text-indigo-700 ring-indigo-200",
  VALID: "bg-emerald-50 text-emerald-700 ring-emerald-200",
  TEST: "bg-amber-50 text-amber-800 ring-amber-200",
  EXACT: "bg-rose-50 text-rose-700 ring-rose-200",
  NEAR: "bg-amber-50 text-amber-800 ring-amber-200",
  EXCLUDED: "bg-rose-50 text-rose-700 ring-rose-200",
  ACCEPTED: "bg-emerald-50 text-emerald-700 ring-emerald-200",
};

export function StatusBadge(props: { status: string; pulse?: boolean }) {
  const style = STYLES[props.status] ?? "bg-slate-100 text-slate-700 ring-slate-300";
  return (
    <span
      data-status={props.status}
      className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-[11px] font-semibold uppercase tracking-wide ring-1 ring-inset ${style}`}
    >
      {props.status === "RUNNING" || props.pulse ? (
        <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-current" aria-hidden />
      ) : null}
      {props.status.toLowerCase()}
    </span>
  );
}
