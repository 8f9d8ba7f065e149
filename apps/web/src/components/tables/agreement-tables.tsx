"use client";

import { useState } from "react";
import { ConfusionHeatmap } from "@/components/charts/confusion-heatmap";
import type { TAnnotatorRow, TClassRow } from "@/server/agreement/agreement";
import { SortableTable, type TColumn } from "./sortable-table";

const f3 = (x: number | null) => (x === null ? "—" : x.toFixed(3));
const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);

export function PerClassAgreementTable(props: { rows: TClassRow[]; split: string }) {
  const columns: TColumn<TClassRow>[] = [
    {
      key: "label",
      header: "Class",
      sortValue: (r) => r.label,
      render: (r) => <span className="font-medium">{r.label}</span>,
    },
    {
      key: "specific",
      header: "Specific agr.",
      title: "given one annotator chose this class, the chance another annotator on the same image did too",
      align: "right",
      sortValue: (r) => r.specificAgreement,
      render: (r) => f3(r.specificAgreement),
    },
    {
      key: "kappa",
      header: "κ (class)",
      align: "right",
      sortValue: (r) => r.kappa,
      render: (r) => f3(r.kappa),
    },
    {
      key: "item",
      header: "Item agr.",
      title: "mean pairwise agreement over the images whose plurality label is this class",
      align: "right",
      sortValue: (r) => r.meanItemAgreement,
      render: (r) => f3(r.meanItemAgreement),
    },
    {
      key: "support",
      header: "Images",
      align: "right",
      sortValue: (r) => r.support,
      render: (r) => r.support.toLocaleString(),
    },
  ];
  return (
    <SortableTable
      columns={columns}
      rows={props.rows}
      rowKey={(r) => r.label}
      initialSort={{ key: "specific", dir: "desc" }}
      caption={`split: ${props.split}`}
      testId="per-class-agreement"
    />
  );
}

export function AnnotatorTable(props: {
  rows: TAnnotatorRow[];
  split: string;
  labels: string[];
  matrices: Record<string, number[][]>;
  counts: Record<string, number[][]>;
  kind: "ds" | "counts" | "loo";
  consensusName: string | null;
}) {
  const [selected, setSelected] = useState<string | null>(null);
  const columns: TColumn<TAnnotatorRow>[] = [
    {
      key: "name",
      header: "Annotator",
      sortValue: (r) => r.name,
      render: (r) => (
        <div>
          <div className="font-medium">{r.name}</div>
          <div className="text-xs text-slate-500">{r.email}</div>
        </div>
      ),
    },
    {
      key: "votes",
      header: "Votes",
      align: "right",
      sortValue: (r) => r.votes,
      render: (r) => r.votes.toLocaleString(),
    },
    {
      key: "agreement",
      header: "Agreement",
      title:
        "share of votes matching the plurality of the other votes on the same image (leave-one-out; ties give 1/k)",
      align: "right",
      sortValue: (r) => r.agreement,
      render: (r) => (
        <span title={`${r.comparable} comparable votes`}>
          {pct(r.agreement)} <span className="text-xs text-slate-400">n={r.comparable}</span>
        </span>
      ),
    },
    {
      key: "gold",
      header: "Gold accuracy",
      align: "right",
      sortValue: (r) => r.goldAccuracy,
      render: (r) => (
        <span>
          {pct(r.goldAccuracy)} <span className="text-xs text-slate-400">n={r.goldAnswered}</span>
        </span>
      ),
    },
    {
      key: "time",
      header: "Median time",
      align: "right",
      sortValue: (r) => r.medianMs,
      render: (r) => (r.medianMs === null ? "—" : `${(r.medianMs / 1000).toFixed(2)} s`),
    },
  ];
  const current = selected ? props.rows.find((r) => r.annotatorId === selected) : null;
  const matrix = selected ? props.matrices[selected] : undefined;
  return (
    <div className="grid gap-4 2xl:grid-cols-[minmax(0,1fr)_auto]">
      <SortableTable
        columns={columns}
        rows={props.rows}
        rowKey={(r) => r.annotatorId}
        initialSort={{ key: "votes", dir: "desc" }}
        onRowClick={(r) => setSelected(r.annotatorId === selected ? null : r.annotatorId)}
        selectedKey={selected}
        caption={`split: ${props.split} · click an annotator for their confusion matrix`}
        empty="No identified annotator votes (imported tallies carry no annotator ids)."
        testId="annotator-table"
      />
      <div
        className="min-w-80 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
        data-testid="annotator-confusion"
      >
        {current ? (
          <>
            <h3 className="text-sm font-semibold">{current.name}</h3>
            <p className="mb-2 text-xs text-slate-500">
              rows: consensus of the {props.consensusName ?? "latest"} snapshot · columns: this
              annotator&apos;s label · colour: row share · split: {props.split}
              {props.kind === "ds" ? " · small number: votes behind the cell" : ""}
            </p>
            {matrix ? (
              <ConfusionHeatmap
                labels={props.labels}
                matrix={matrix}
                counts={props.counts[selected!]}
                rowTitle={props.kind === "ds" ? "true" : "consensus"}
                colTitle="annotator"
                isProbability={props.kind === "ds"}
                testId="annotator-confusion-heatmap"
              />
            ) : (
              <p className="text-sm text-slate-500">
                No votes of this annotator on images with a consensus label.
              </p>
            )}
          </>
        ) : (
          <p className="py-10 text-center text-sm text-slate-500">
            Click an annotator to see their confusion matrix.
          </p>
        )}
      </div>
    </div>
  );
}
