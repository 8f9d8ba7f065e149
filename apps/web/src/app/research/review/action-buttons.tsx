"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { MAX_MORE_VOTES, type TImageAction } from "@/server/review/action-form";
import { postImageAction } from "./review-api";

const button =
  "rounded-md border border-slate-300 bg-white px-2 py-1 text-xs font-medium text-slate-700 hover:bg-slate-100 disabled:opacity-50";

// "Ask for N more votes", "Accept", "Exclude" for a set of faces (one face, or the page's selection).
export function ActionButtons(props: { imageIds: string[]; label?: string; onDone?: () => void }) {
  const router = useRouter();
  const [votes, setVotes] = useState(3);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const none = props.imageIds.length === 0;
  const run = async (action: TImageAction) => {
    setBusy(true);
    const message = await postImageAction({
      action,
      imageIds: props.imageIds,
      ...(action === "more-votes" ? { votes } : {}),
    });
    setBusy(false);
    setError(message);
    if (!message) {
      props.onDone?.();
      router.refresh();
    }
  };
  return (
    <div className="flex flex-wrap items-center gap-1.5">
      {props.label ? <span className="mr-1 text-xs font-medium text-slate-600">{props.label}</span> : null}
      <input
        type="number"
        min={1}
        max={MAX_MORE_VOTES}
        value={votes}
        onChange={(e) => setVotes(Number(e.target.value))}
        aria-label="Votes to ask for"
        className="w-14 rounded-md border border-slate-300 px-1.5 py-1 text-xs"
      />
      <button type="button" className={button} disabled={busy || none} onClick={() => run("more-votes")}>
        Ask for {votes} more votes
      </button>
      <button type="button" className={button} disabled={busy || none} onClick={() => run("accept")}>
        Accept crowd label
      </button>
      <button
        type="button"
        className={button}
        disabled={busy || none}
        onClick={() => run("exclude")}
        title="Later snapshots leave the face out, and it is no longer served for votes (revocable in its history)"
      >
        Exclude from training
      </button>
      {error ? (
        <span role="alert" className="text-xs text-rose-600">
          {error}
        </span>
      ) : null}
    </div>
  );
}
