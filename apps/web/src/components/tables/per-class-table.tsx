"use client";

import { SortableTable, type TColumn } from "./sortable-table";

type TRow = {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  agreement?: number | null;
};

const f3 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(3);

// Per-class precision / recall / F1 of one evaluation, with the crowd agreement of the same class beside it.
export function PerClassTable(props: { rows: TRow[]; split: string }) {
  const columns: TColumn<TRow>[] = [
    {
      key: "label",
      header: "Class",
      sortValue: (r) => r.label,
      render: (r) => <span className="font-medium">{r.label}</span>,
    },
    {
      key: "p",
      header: "Precision",
      align: "right",
      sortValue: (r) => r.precision,
      render: (r) => f3(r.precision),
    },
    { key: "r", header: "Recall", align: "right", sortValue: (r) => r.recall, render: (r) => f3(r.recall) },
    {
      key: "f1",
      header: "F1",
      align: "right",
      sortValue: (r) => r.f1,
      render: (r) => (
        <span className="inline-flex items-center gap-2">
          <span className="inline-block h-1.5 w-16 overflow-hidden rounded bg-slate-100">
            <span
              className="block h-full bg-indigo-500"
              style={{ width: `${Math.round((r.f1 || 0) * 100)}%` }}
            />
          </span>
          {f3(r.f1)}
        </span>
      ),
    },
    {
      key: "s",
      header: "Support",
      align: "right",
      sortValue: (r) => r.support,
      render: (r) => r.support.toLocaleString(),
    },
    {
      key: "a",
      header: "Crowd agreement",
      title: "specific agreement of the annotators on this class, same split",
      align: "right",
      sortValue: (r) => r.agreement ?? null,
      render: (r) => f3(r.agreement),
    },
  ];
  return (
    <SortableTable
      columns={columns}
      rows={props.rows}
      rowKey={(r) => r.label}
      initialSort={{ key: "f1", dir: "desc" }}
      caption={`split: ${props.split}`}
      testId="per-class-table"
    />
  );
}
