"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { toApiError } from "@/lib/api-error";

const METHODS = [
  ["mv", "Majority vote"],
  ["wawa", "Wawa (worker-agreement weighted)"],
  ["zbs", "Zero-based skill"],
  ["onecoin", "One-coin Dawid-Skene"],
  ["ds", "Dawid-Skene (full confusion)"],
  ["glad", "GLAD"],
  ["mace", "MACE"],
  ["ferplus-majority", "FER+ majority"],
  ["ferplus-probability", "FER+ probability (PLD)"],
  ["ferplus-crossentropy", "FER+ cross-entropy"],
  ["ferplus-multitarget", "FER+ multi-target"],
] as const;

const input =
  "w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200";

export function SnapshotForm(props: { datasets: { id: string; name: string }[]; datasetId: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [queued, setQueued] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    setQueued(null);
    setBusy(true);
    const fd = new FormData(e.currentTarget);
    const body: Record<string, unknown> = {
      datasetId: props.datasetId,
      method: fd.get("method"),
      eps: Number(fd.get("eps")),
      q: fd.get("q"),
    };
    const iters = String(fd.get("maxIterations") ?? "");
    if (iters) body.maxIterations = Number(iters);
    try {
      const res = await fetch("/api/snapshots", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (res.ok) {
        // The request is a row now (SnapshotJob): re-render the page, whose requests table and poller take over.
        setQueued(new Date().toLocaleTimeString("en-GB"));
        router.refresh();
      } else setError(toApiError(res.status, await res.json().catch(() => null)).message);
    } catch {
      setError("Network error: the server did not answer");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      onSubmit={submit}
      className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      data-testid="snapshot-form"
    >
      <label className="block text-xs font-medium text-slate-700">
        Dataset
        <select
          className={input}
          value={props.datasetId}
          onChange={(e) => router.push(`/admin/snapshots?datasetId=${e.target.value}`)}
        >
          {props.datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <label className="block text-xs font-medium text-slate-700">
        Aggregation method
        <select name="method" className={input} defaultValue="ds">
          {METHODS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <div className="grid grid-cols-2 gap-3">
        <label className="block text-xs font-medium text-slate-700">
          Smoothing ε
          <input name="eps" type="number" min={0} max={1} step={0.01} defaultValue={0} className={input} />
        </label>
        <label className="block text-xs font-medium text-slate-700">
          q (smoothing target)
          <select name="q" className={input} defaultValue="crowd">
            <option value="crowd">crowd distribution</option>
            <option value="posterior">model posterior</option>
            <option value="uniform">uniform (classic)</option>
          </select>
        </label>
      </div>
      <label className="block text-xs font-medium text-slate-700">
        Max EM iterations (optional)
        <input name="maxIterations" type="number" min={1} max={1000} placeholder="100" className={input} />
      </label>
      {error ? (
        <p
          role="alert"
          className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700"
          data-testid="snapshot-error"
        >
          {error}
        </p>
      ) : null}
      {queued ? (
        <p className="rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-800" data-testid="snapshot-queued">
          Queued at {queued}: see its row under “Requests”.
        </p>
      ) : null}
      <button
        type="submit"
        disabled={busy || !props.datasetId}
        className="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-50"
      >
        Create snapshot
      </button>
    </form>
  );
}
