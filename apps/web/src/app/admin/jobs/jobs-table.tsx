"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { StatusBadge } from "@/components/tables/status-badge";
import { toApiError } from "@/lib/api-error";
import type { TJobRow } from "@/server/jobs/jobs";

const KIND = { run: "training run", snapshot: "label snapshot", prediction: "predictions" } as const;
const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace("T", " ") : "—");

function RetryButton(props: { url: string; label: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  return (
    <>
      <button
        type="button"
        disabled={isBusy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          const res = await fetch(props.url, { method: "POST" }).catch(() => null);
          setBusy(false);
          if (res?.ok) router.refresh();
          else
            setError(res ? toApiError(res.status, await res.json().catch(() => null)).message : "No answer");
        }}
        className="rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50"
      >
        {isBusy ? "…" : props.label}
      </button>
      {error ? <p className="mt-1 text-xs text-rose-600">{error}</p> : null}
    </>
  );
}

export function JobsTable(props: { rows: TJobRow[] }) {
  if (props.rows.length === 0)
    return (
      <p className="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center text-sm text-slate-500">
        No jobs with this status.
      </p>
    );
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full text-sm" data-testid="jobs-table">
        <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-4 py-2">Status</th>
            <th className="px-4 py-2">Kind</th>
            <th className="px-4 py-2">Job</th>
            <th className="px-4 py-2">Progress</th>
            <th className="px-4 py-2">Queued</th>
            <th className="px-4 py-2">Finished</th>
            <th className="px-4 py-2" />
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {props.rows.map((r) => (
            <tr
              key={`${r.kind}-${r.id}`}
              className="align-top"
              data-testid="job-row"
              data-kind={r.kind}
              data-id={r.id}
              data-status={r.status}
            >
              <td className="px-4 py-2.5">
                <StatusBadge status={r.status} />
              </td>
              <td className="whitespace-nowrap px-4 py-2.5 text-slate-600">{KIND[r.kind]}</td>
              <td className="px-4 py-2.5">
                {r.href ? (
                  <Link href={r.href} className="font-medium text-indigo-700 hover:underline">
                    {r.title}
                  </Link>
                ) : (
                  <span className="font-medium text-slate-800">{r.title}</span>
                )}
                <div className="text-xs text-slate-500">
                  {r.datasetName}
                  {r.createdBy ? ` · by ${r.createdBy}` : ""}
                  {r.attempts > 1 ? ` · attempt ${r.attempts}` : ""}
                </div>
              </td>
              <td className="max-w-md px-4 py-2.5 text-slate-700">
                <div>{r.detail || "—"}</div>
                {r.eta ? (
                  <div className="text-xs text-sky-700" data-testid="job-eta">
                    {r.eta}
                  </div>
                ) : null}
                {r.error ? (
                  <div className="mt-1 break-words text-xs text-rose-700" data-testid="job-error">
                    {r.error}
                  </div>
                ) : null}
              </td>
              <td className="whitespace-nowrap px-4 py-2.5 tabular-nums text-slate-600">
                {when(r.createdAt)}
              </td>
              <td className="whitespace-nowrap px-4 py-2.5 tabular-nums text-slate-600">
                {when(r.finishedAt)}
              </td>
              <td className="px-4 py-2.5 text-right">
                {r.retryUrl ? <RetryButton url={r.retryUrl} label={r.retryLabel} /> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
