"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toApiError } from "@/lib/api-error";

export function AllowAttemptButton(props: { userId: string; datasetId: string; datasetName: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  return (
    <div>
      <button
        type="button"
        disabled={isBusy}
        data-testid="allow-attempt"
        onClick={async () => {
          setBusy(true);
          setError(null);
          const res = await fetch(`/api/users/${encodeURIComponent(props.userId)}/qualification`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ datasetId: props.datasetId }),
          });
          if (!res.ok) setError(toApiError(res.status, await res.json().catch(() => null)).message);
          setBusy(false);
          router.refresh();
        }}
        className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50"
      >
        Allow another qualification attempt on {props.datasetName}
      </button>
      {error ? <p className="mt-1 text-xs text-rose-600">{error}</p> : null}
    </div>
  );
}
