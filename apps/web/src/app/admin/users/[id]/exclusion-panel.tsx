"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { toApiError } from "@/lib/api-error";

const button =
  "rounded-md px-3 py-1.5 text-sm font-semibold shadow-sm disabled:opacity-50 focus:outline-none focus:ring-2 focus:ring-indigo-200";

// Exclude an annotator's votes from later snapshots, or include them again. Both are recorded (who, when,
// why) and neither touches the votes themselves.
export function ExclusionPanel(props: {
  userId: string;
  name: string;
  active: { since: string; by: string | null; reason: string } | null;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);

  async function send(init: RequestInit) {
    setBusy(true);
    setError(null);
    const res = await fetch(`/api/users/${encodeURIComponent(props.userId)}/exclusion`, init).catch(
      () => null,
    );
    setBusy(false);
    if (res?.ok) router.refresh();
    else setError(res ? toApiError(res.status, await res.json().catch(() => null)).message : "No answer");
  }

  function exclude(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const reason = String(new FormData(e.currentTarget).get("reason") ?? "");
    void send({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reason }),
    });
  }

  return (
    <div
      className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      data-testid="exclusion-panel"
      data-excluded={props.active ? "true" : "false"}
    >
      {props.active ? (
        <div className="flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm text-slate-700">
            <span className="font-semibold">Excluded from label snapshots</span> since{" "}
            {props.active.since.slice(0, 16).replace("T", " ")}
            {props.active.by ? ` by ${props.active.by}` : ""}
            {props.active.reason ? ` — “${props.active.reason}”` : ""}. Snapshots made from now on leave out
            their votes; earlier snapshots and the votes themselves are unchanged.
          </p>
          <button
            type="button"
            disabled={isBusy}
            onClick={() => send({ method: "DELETE" })}
            className={`${button} border border-slate-300 bg-white text-slate-700 hover:bg-slate-50`}
          >
            Include again
          </button>
        </div>
      ) : (
        <form onSubmit={exclude} className="flex flex-wrap items-end gap-3">
          <p className="min-w-64 flex-1 text-sm text-slate-700">
            {props.name}&apos;s votes count in new snapshots. Excluding leaves them out of every snapshot made
            afterwards (recorded, and reversible).
          </p>
          <label className="text-xs font-medium text-slate-700">
            Reason (optional)
            <input
              name="reason"
              maxLength={500}
              placeholder="e.g. random answers on gold"
              className="mt-1 block w-72 rounded-md border border-slate-300 px-2.5 py-1.5 text-sm shadow-sm"
            />
          </label>
          <button
            type="submit"
            disabled={isBusy}
            className={`${button} bg-rose-600 text-white hover:bg-rose-500`}
          >
            Exclude from snapshots
          </button>
        </form>
      )}
      {error ? (
        <p role="alert" className="mt-2 text-sm text-rose-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}
