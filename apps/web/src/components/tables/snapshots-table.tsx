"use client";

import Link from "next/link";
import type { TSnapshotListItem } from "@/server/snapshots/snapshots";
import { SortableTable, type TColumn } from "./sortable-table";

function paramsText(p: Record<string, unknown>): string {
  const parts = Object.entries(p)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? parts.join(" · ") : "defaults";
}

export function SnapshotsTable(props: {
  rows: TSnapshotListItem[];
  basePath?: string;
  linked?: boolean;
  showExports?: boolean;
}) {
  const base = props.basePath ?? "/admin/snapshots";
  const columns: TColumn<TSnapshotListItem>[] = [
    {
      key: "method",
      header: "Method",
      sortValue: (s) => s.method,
      render: (s) =>
        props.linked === false ? (
          <span className="font-medium">{s.method}</span>
        ) : (
          <Link href={`${base}/${s.id}`} className="font-medium text-indigo-700 hover:underline">
            {s.method}
          </Link>
        ),
    },
    {
      key: "params",
      header: "Parameters",
      render: (s) => <span className="text-xs text-slate-600">{paramsText(s.params)}</span>,
    },
    {
      key: "items",
      header: "Images",
      title: "images with at least one vote, all splits",
      align: "right",
      sortValue: (s) => s.items,
      render: (s) => s.items.toLocaleString(),
    },
    {
      key: "labelled",
      header: "Consensus",
      title: "images with a consensus label (the rest are excluded, e.g. FER+ unknown / not-a-face)",
      align: "right",
      sortValue: (s) => s.labelled,
      render: (s) => s.labelled.toLocaleString(),
    },
    {
      key: "iter",
      header: "EM iter.",
      align: "right",
      sortValue: (s) => Number(s.stats.iterations ?? Number.NaN),
      render: (s) =>
        typeof s.stats.iterations === "number"
          ? `${s.stats.iterations}${s.stats.converged === false ? " (not converged)" : ""}`
          : "—",
    },
    { key: "runs", header: "Runs", align: "right", sortValue: (s) => s.runs, render: (s) => s.runs },
    {
      key: "created",
      header: "Created",
      sortValue: (s) => s.createdAt,
      render: (s) => (
        <span title={s.createdBy ? `by ${s.createdBy}` : undefined}>
          {s.createdAt.slice(0, 16).replace("T", " ")}
        </span>
      ),
    },
    ...(props.showExports
      ? [
          {
            key: "export",
            header: "Soft labels",
            render: (s: TSnapshotListItem) => (
              <span className="flex gap-2 text-xs">
                <a
                  className="text-indigo-700 hover:underline"
                  href={`/api/exports/soft-labels?snapshotId=${s.id}&format=csv`}
                >
                  CSV
                </a>
                <a
                  className="text-indigo-700 hover:underline"
                  href={`/api/exports/soft-labels?snapshotId=${s.id}&format=json`}
                >
                  JSON
                </a>
              </span>
            ),
          },
        ]
      : []),
  ];
  return (
    <SortableTable
      columns={columns}
      rows={props.rows}
      rowKey={(s) => s.id}
      initialSort={{ key: "created", dir: "desc" }}
      empty="No snapshot yet."
      testId="snapshots-table"
    />
  );
}
