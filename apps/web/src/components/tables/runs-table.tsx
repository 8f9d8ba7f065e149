"use client";

import { CHECKPOINT_SELECTION } from "@concord/jobs/run-config";
import Link from "next/link";
import { useEffect, useState } from "react";
import type { TRunListItem } from "@/server/runs/runs";
import { SortableTable, type TColumn } from "./sortable-table";
import { StatusBadge } from "./status-badge";

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const withN = (x: number | null, n: number | null) =>
  x === null ? (
    "—"
  ) : (
    <span className="whitespace-nowrap">
      {pct(x)}
      {n === null ? null : <span className="ml-1 text-xs text-slate-400">n={n.toLocaleString("en-US")}</span>}
    </span>
  );
const isActive = (r: TRunListItem) => r.status === "QUEUED" || r.status === "RUNNING";

// A figure column: the value as a percentage, with its n when given.
function metric(
  key: string,
  header: string,
  title: string,
  value: (r: TRunListItem) => number | null,
  n?: (r: TRunListItem) => number | null,
): TColumn<TRunListItem> {
  return {
    key,
    header,
    title,
    align: "right",
    sortValue: value,
    render: (r) => (n ? withN(value(r), n(r)) : pct(value(r))),
  };
}

// Run list; while any run is queued or running it refreshes itself every 3 s.
export function RunsTable(props: {
  initialRuns: TRunListItem[];
  basePath: string;
  selectable?: boolean;
  onSelect?: (ids: string[]) => void;
}) {
  const [runs, setRuns] = useState(props.initialRuns);
  const [selected, setSelected] = useState<string[]>([]);
  const hasActive = runs.some(isActive);

  useEffect(() => {
    if (!hasActive) return;
    const t = setInterval(async () => {
      const res = await fetch("/api/runs", { cache: "no-store" }).catch(() => null);
      if (res?.ok) setRuns(((await res.json()) as { runs: TRunListItem[] }).runs);
    }, 3000);
    return () => clearInterval(t);
  }, [hasActive]);

  const toggle = (id: string) => {
    const next = selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id];
    setSelected(next);
    props.onSelect?.(next);
  };

  const columns: TColumn<TRunListItem>[] = [
    ...(props.selectable
      ? [
          {
            key: "sel",
            header: "",
            render: (r: TRunListItem) => (
              <input
                type="checkbox"
                aria-label={`select ${r.name}`}
                checked={selected.includes(r.id)}
                onChange={() => toggle(r.id)}
                onClick={(e) => e.stopPropagation()}
              />
            ),
          },
        ]
      : []),
    {
      key: "name",
      header: "Run",
      sortValue: (r) => r.name,
      render: (r) => (
        <Link
          href={`${props.basePath}/${r.id}`}
          className="whitespace-nowrap font-medium text-indigo-700 hover:underline"
        >
          {r.name}
        </Link>
      ),
    },
    {
      key: "status",
      header: "Status",
      sortValue: (r) => r.status,
      render: (r) => <StatusBadge status={r.status} />,
    },
    { key: "dataset", header: "Dataset", sortValue: (r) => r.datasetName, render: (r) => r.datasetName },
    {
      key: "model",
      header: "Model",
      sortValue: (r) => `${r.model} ${r.scheme}`,
      render: (r) => (
        <span className="whitespace-nowrap">
          {r.model} · {r.scheme}
          {r.eps ? <span className="text-slate-500"> · ε {r.eps}</span> : null}
        </span>
      ),
    },
    {
      key: "epoch",
      header: "Epoch",
      align: "right",
      sortValue: (r) => r.currentEpoch,
      render: (r) => <span className="whitespace-nowrap">{`${r.currentEpoch} / ${r.epochs}`}</span>,
    },
    metric(
      "vacc",
      "Valid acc",
      `accuracy on the whole VALID split (n faces); it chooses the checkpoint: ${CHECKPOINT_SELECTION}`,
      (r) => r.validAccuracy,
      (r) => r.validN,
    ),
    metric(
      "vacc-nt",
      "Valid acc w/o twins",
      "accuracy on the VALID split without the faces that have an exact or near twin in the train split (n faces)",
      (r) => r.validAccuracyWithoutTwins,
      (r) => r.validNWithoutTwins,
    ),
    metric("vf1", "Valid F1", "macro-F1 on the whole VALID split", (r) => r.validMacroF1),
    metric(
      "vf1-nt",
      "Valid F1 w/o twins",
      "macro-F1 on the VALID split without its train twins",
      (r) => r.validMacroF1WithoutTwins,
    ),
    metric(
      "vf1-dec",
      "Valid F1 decided",
      "macro-F1 on the whole VALID split with the run's per-class decision biases, cross-fitted (mean over 20 random halvings, each half decided with biases fitted on the other)",
      (r) => r.validMacroF1Decided,
    ),
    metric("tacc", "Test acc", "accuracy on the whole TEST split", (r) => r.testAccuracy),
    metric(
      "tacc-nt",
      "Test acc w/o twins",
      "accuracy on the TEST split without its train twins",
      (r) => r.testAccuracyWithoutTwins,
    ),
    { key: "backend", header: "Backend", sortValue: (r) => r.backend, render: (r) => r.backend ?? "—" },
    {
      key: "created",
      header: "Created",
      sortValue: (r) => r.createdAt,
      render: (r) => (
        <time dateTime={r.createdAt} className="whitespace-nowrap">
          {r.createdAt.slice(5, 16).replace("T", " ")}
        </time>
      ),
    },
  ];
  return (
    <SortableTable
      columns={columns}
      rows={runs}
      rowKey={(r) => r.id}
      initialSort={{ key: "created", dir: "desc" }}
      empty="No runs yet: launch one with the form."
      testId="runs-table"
    />
  );
}
