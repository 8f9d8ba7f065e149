import type { TFlag } from "@/server/annotators/flags";

// Quality flags as small badges; the detail (the numbers behind the flag) is the tooltip.
export function FlagBadges(props: { flags: (TFlag & { datasetName?: string })[] }) {
  if (props.flags.length === 0) return <span className="text-xs text-slate-400">—</span>;
  return (
    <div className="flex flex-wrap gap-1">
      {props.flags.map((f) => (
        <span
          key={`${f.kind}-${f.datasetName ?? ""}`}
          title={`${f.datasetName ? `${f.datasetName}: ` : ""}${f.detail}`}
          data-testid="quality-flag"
          data-flag={f.kind}
          className="whitespace-nowrap rounded-full bg-amber-50 px-2 py-0.5 text-[11px] font-semibold text-amber-800 ring-1 ring-inset ring-amber-200"
        >
          {f.label}
        </span>
      ))}
    </div>
  );
}

export function ExcludedBadge(props: { since: string }) {
  return (
    <span
      title={`votes left out of label snapshots since ${props.since.slice(0, 16).replace("T", " ")}`}
      data-testid="excluded-badge"
      className="whitespace-nowrap rounded-full bg-slate-800 px-2 py-0.5 text-[11px] font-semibold text-white"
    >
      excluded from snapshots
    </span>
  );
}
