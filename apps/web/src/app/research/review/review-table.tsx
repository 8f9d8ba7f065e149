"use client";

import Link from "next/link";
import { useState } from "react";
import { StatusBadge } from "@/components/tables/status-badge";
import type { TQueueOrder, TSuspect } from "@/server/review/queue";
import { ActionButtons } from "./action-buttons";

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

function VoteCounts(props: { counts: number[]; taxonomy: string[] }) {
  const shown = props.counts
    .map((n, c) => ({ n, label: props.taxonomy[c]! }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n);
  return <span className="text-xs text-slate-600">{shown.map((x) => `${x.label} ${x.n}`).join(" · ")}</span>;
}

// The ranked suspects with a selection for bulk actions (admins) and per-face actions; the last figure is the
// active order's key (data-key holds it unrounded).
export function ReviewTable(props: {
  suspects: TSuspect[];
  taxonomy: string[];
  isAdmin: boolean;
  order: TQueueOrder;
}) {
  const relabel = props.order === "relabel";
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = props.suspects.length > 0 && props.suspects.every((s) => selected.has(s.imageId));
  return (
    <div className="rounded-xl border border-slate-200 bg-white shadow-sm">
      {props.isAdmin ? (
        <div
          className="flex flex-wrap items-center gap-3 border-b border-slate-200 px-4 py-2"
          data-testid="bulk-bar"
        >
          <label className="flex items-center gap-2 text-xs text-slate-600">
            <input
              type="checkbox"
              checked={allSelected}
              onChange={() =>
                setSelected(allSelected ? new Set() : new Set(props.suspects.map((s) => s.imageId)))
              }
              aria-label="Select all faces shown"
            />
            {selected.size} selected
          </label>
          <ActionButtons imageIds={[...selected]} label="Selected:" onDone={() => setSelected(new Set())} />
        </div>
      ) : null}
      <table className="w-full text-sm">
        <thead className="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            {props.isAdmin ? <th className="w-8 px-3 py-2" /> : null}
            <th className="px-3 py-2">Face</th>
            <th className="px-3 py-2">Votes per class</th>
            <th className="px-3 py-2">Crowd</th>
            <th className="px-3 py-2">Model (confidence)</th>
            {relabel ? (
              <th className="px-3 py-2" title="Probability that the suggested label (shown) is wrong">
                P(suggested wrong)
              </th>
            ) : (
              <th className="px-3 py-2" title="Probability that the crowd label is wrong">
                P(crowd wrong)
              </th>
            )}
            {props.isAdmin ? <th className="px-3 py-2">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {props.suspects.map((s) => (
            <tr
              key={s.imageId}
              className="border-t border-slate-100 align-middle"
              data-testid="suspect-row"
              data-image-id={s.imageId}
              data-key={relabel ? s.suggestedWrong : s.score}
            >
              {props.isAdmin ? (
                <td className="px-3 py-2">
                  <input
                    type="checkbox"
                    checked={selected.has(s.imageId)}
                    onChange={() => toggle(s.imageId)}
                    aria-label={`Select ${s.externalId}`}
                  />
                </td>
              ) : null}
              <td className="px-3 py-2">
                <Link
                  href={`/research/images/${s.imageId}`}
                  className="flex items-center gap-2 hover:underline"
                >
                  {/* biome-ignore lint/performance/noImgElement: 48x48 stored faces, served as PNG */}
                  <img
                    src={`/api/images/${s.imageId}/png`}
                    alt={s.externalId}
                    width={56}
                    height={56}
                    className="pixelated rounded"
                  />
                  <span className="text-xs">
                    <span className="block font-medium text-slate-800">{s.externalId}</span>
                    <StatusBadge status={s.split} />
                  </span>
                </Link>
              </td>
              <td className="px-3 py-2">
                <VoteCounts counts={s.counts} taxonomy={props.taxonomy} />
                {s.pendingVotes > 0 ? (
                  <span className="ml-2 rounded bg-sky-50 px-1.5 py-0.5 text-[11px] text-sky-700">
                    {s.pendingVotes} more asked
                  </span>
                ) : null}
              </td>
              <td className="px-3 py-2 font-medium">{s.crowdLabel}</td>
              <td className="px-3 py-2">
                {s.modelLabel} <span className="text-slate-500">({pct(s.modelConfidence)})</span>
              </td>
              {relabel ? (
                <td className="px-3 py-2 tabular-nums">
                  {pct(s.suggestedWrong)} <span className="text-slate-500">({s.suggested ?? "none"})</span>
                </td>
              ) : (
                <td className="px-3 py-2 tabular-nums">{pct(s.score)}</td>
              )}
              {props.isAdmin ? (
                <td className="px-3 py-2">
                  <ActionButtons imageIds={[s.imageId]} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
