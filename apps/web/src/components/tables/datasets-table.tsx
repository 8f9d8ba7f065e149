"use client";

import Link from "next/link";
import type { TDatasetSummary } from "@/server/datasets/datasets";
import { SortableTable, type TColumn } from "./sortable-table";

type TRow = Omit<TDatasetSummary, "createdAt"> & { createdAt: string };

const split = (d: TRow, s: string) => d.splits.find((x) => x.split === s);
const pct = (a: number, b: number) => (b ? `${((a / b) * 100).toFixed(1)}%` : "—");

export function DatasetsTable(props: { rows: TRow[] }) {
  const columns: TColumn<TRow>[] = [
    {
      key: "name",
      header: "Dataset",
      sortValue: (d) => d.name,
      render: (d) => (
        <div>
          <Link href={`/admin/datasets/${d.id}`} className="font-medium text-indigo-700 hover:underline">
            {d.name}
          </Link>
          <div className="text-xs text-slate-500">
            {d.slug} · {d.source.toLowerCase()} · {d.taxonomy.length} labels
          </div>
        </div>
      ),
    },
    ...(["TRAIN", "VALID", "TEST"] as const).map(
      (s): TColumn<TRow> => ({
        key: s,
        header: s.toLowerCase(),
        title: `images in the ${s} split`,
        align: "right",
        sortValue: (d) => split(d, s)?.images ?? 0,
        render: (d) => (split(d, s)?.images ?? 0).toLocaleString(),
      }),
    ),
    {
      key: "coverage",
      header: "≥ k votes",
      title:
        "images (all splits) with at least k votes, identified + imported tallies; k = the dataset's minimum votes",
      align: "right",
      sortValue: (d) => (d.totals.images ? d.totals.covered / d.totals.images : 0),
      render: (d) => (
        <span>
          {pct(d.totals.covered, d.totals.images)}
          <span className="ml-1 text-xs text-slate-500">(k={d.k})</span>
        </span>
      ),
    },
    {
      key: "votes",
      header: "Votes",
      title: "identified votes from annotators on this platform (all splits)",
      align: "right",
      sortValue: (d) => d.totals.votes,
      render: (d) => d.totals.votes.toLocaleString(),
    },
    {
      key: "vpi",
      header: "Votes/img",
      title: "(identified votes + imported tally votes) / images, all splits",
      align: "right",
      sortValue: (d) => (d.totals.images ? (d.totals.votes + d.totals.tallyVotes) / d.totals.images : 0),
      render: (d) =>
        d.totals.images ? ((d.totals.votes + d.totals.tallyVotes) / d.totals.images).toFixed(2) : "—",
    },
    {
      key: "tallies",
      header: "Tallies",
      title: "images with imported vote counts (no worker ids), and the votes they hold",
      align: "right",
      sortValue: (d) => d.totals.tallyVotes,
      render: (d) =>
        d.totals.talliedImages ? (
          <span>
            {d.totals.talliedImages.toLocaleString()}
            <span className="ml-1 text-xs text-slate-500">
              ({d.totals.tallyVotes.toLocaleString()} votes)
            </span>
          </span>
        ) : (
          "—"
        ),
    },
    {
      key: "gold",
      header: "Gold",
      align: "right",
      sortValue: (d) => d.totals.gold,
      render: (d) => d.totals.gold,
    },
    {
      key: "leaks",
      header: "Leaks",
      title: "exact + near duplicate pairs whose faces sit in different splits",
      align: "right",
      sortValue: (d) => d.crossSplitDuplicates,
      render: (d) => (
        <span className={d.crossSplitDuplicates ? "font-semibold text-rose-700" : "text-slate-500"}>
          {d.crossSplitDuplicates}
        </span>
      ),
    },
    {
      key: "snaps",
      header: "Snapshots",
      align: "right",
      sortValue: (d) => d.snapshots,
      render: (d) => d.snapshots,
    },
    { key: "runs", header: "Runs", align: "right", sortValue: (d) => d.runs, render: (d) => d.runs },
  ];
  return (
    <SortableTable
      columns={columns}
      rows={props.rows}
      rowKey={(d) => d.id}
      empty="No dataset yet: import one below."
      testId="datasets-table"
    />
  );
}
