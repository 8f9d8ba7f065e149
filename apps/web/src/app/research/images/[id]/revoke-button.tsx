"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { revokeImageAction } from "../../review/review-api";

export function RevokeButton(props: { actionId: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  return (
    <span>
      <button
        type="button"
        onClick={async () => {
          const message = await revokeImageAction(props.actionId);
          setError(message);
          if (!message) router.refresh();
        }}
        className="rounded-md border border-slate-300 px-2 py-0.5 text-xs font-medium text-slate-700 hover:bg-slate-100"
      >
        Revoke
      </button>
      {error ? <span className="ml-2 text-xs text-rose-600">{error}</span> : null}
    </span>
  );
}
