"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import type { TRunListItem } from "@/server/runs/runs";
import { SortableTable, type TColumn } from "./sortable-table";
import { StatusBadge } from "./status-badge";

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const isActive = (r: TRunListItem) => r.status === "QUEUED" || r.status === "RUNNING";

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
    {
      key: "vacc",
      header: "Valid acc",
      title: "accuracy on the VALID split",
      align: "right",
      sortValue: (r) => r.validAccuracy,
      render: (r) => pct(r.validAccuracy),
    },
    {
      key: "vf1",
      header: "Valid F1",
      title: "macro-F1 on the VALID split",
      align: "right",
      sortValue: (r) => r.validMacroF1,
      render: (r) => pct(r.validMacroF1),
    },
    {
      key: "tacc",
      header: "Test acc",
      title: "accuracy on the TEST split",
      align: "right",
      sortValue: (r) => r.testAccuracy,
      render: (r) => pct(r.testAccuracy),
    },
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
