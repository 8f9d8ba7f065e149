"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { toApiError } from "@/lib/api-error";
import type { TStoppingSetting } from "@/server/datasets/stopping-form";

// Panel or model prior for the stopping rule; "model" is offered once the dataset has predictions.
export function StoppingForm(props: {
  datasetId: string;
  chosen: "PANEL" | "MODEL";
  hasPredictions: boolean;
}) {
  const router = useRouter();
  const [value, setValue] = useState<TStoppingSetting["stoppingPrior"]>(
    props.chosen === "MODEL" ? "model" : "panel",
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="flex flex-wrap items-center gap-2"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        const res = await fetch(`/api/datasets/${encodeURIComponent(props.datasetId)}`, {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ stoppingPrior: value }),
        }).catch(() => null);
        setBusy(false);
        if (!res) return setError("Network error: nothing was changed");
        setError(res.ok ? null : toApiError(res.status, await res.json().catch(() => null)).message);
        router.refresh();
      }}
    >
      <label className="text-sm text-slate-700" htmlFor="stopping-prior">
        Stopping prior
      </label>
      <select
        id="stopping-prior"
        value={value}
        onChange={(e) => setValue(e.target.value as TStoppingSetting["stoppingPrior"])}
        className="rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm"
      >
        <option value="panel">panel (votes only)</option>
        <option value="model" disabled={!props.hasPredictions}>
          model (latest out-of-sample predictions){props.hasPredictions ? "" : " — no predictions yet"}
        </option>
      </select>
      <button
        type="submit"
        disabled={busy}
        className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
      >
        {busy ? "Saving…" : "Save"}
      </button>
      {error ? (
        <span role="alert" className="text-sm text-rose-600">
          {error}
        </span>
      ) : null}
    </form>
  );
}
