"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

// Re-renders the server page in place every `intervalMs` while `active` (queued or running work), and says
// so: when it polls, when it last updated, and when and why it stopped (nothing left to watch, or the time
// limit, with a button to go on). Never stops silently.
export function LivePoller(props: {
  active: boolean;
  /** When the server rendered the data on screen (ISO): "last update". */
  renderedAt: string;
  intervalMs?: number;
  maxMinutes?: number;
}) {
  const router = useRouter();
  const intervalMs = props.intervalMs ?? 3000;
  const maxMinutes = props.maxMinutes ?? 30;
  const [since, setSince] = useState(() => Date.now());
  const [isTimedOut, setTimedOut] = useState(false);
  const polling = props.active && !isTimedOut;

  // Work that starts again (a new request) restarts the clock.
  useEffect(() => {
    if (!props.active) return;
    setSince(Date.now());
    setTimedOut(false);
  }, [props.active]);

  useEffect(() => {
    if (!polling) return;
    const t = setInterval(() => {
      if (Date.now() - since > maxMinutes * 60_000) {
        setTimedOut(true);
        return;
      }
      router.refresh();
    }, intervalMs);
    return () => clearInterval(t);
  }, [polling, since, intervalMs, maxMinutes, router]);

  const last = new Date(props.renderedAt).toLocaleTimeString("en-GB");
  const state = polling ? "polling" : isTimedOut ? "stopped" : "idle";
  const button =
    "ml-2 rounded border border-slate-300 bg-white px-2 py-0.5 text-xs font-medium text-slate-700 hover:bg-slate-50";
  return (
    <p
      className="flex flex-wrap items-center gap-1 text-xs text-slate-500"
      data-testid="live-poller"
      data-state={state}
      aria-live="polite"
    >
      {polling ? (
        <>
          <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-sky-500" aria-hidden />
          Updating every {Math.round(intervalMs / 1000)} s while work is queued or running · last update{" "}
          {last}
        </>
      ) : isTimedOut ? (
        <>
          Stopped updating after {maxMinutes} min of polling · last update {last}
          <button
            type="button"
            className={button}
            onClick={() => {
              setSince(Date.now());
              setTimedOut(false);
              router.refresh();
            }}
          >
            Resume updates
          </button>
        </>
      ) : (
        <>
          Not updating: nothing is queued or running · last update {last}
          <button type="button" className={button} onClick={() => router.refresh()}>
            Refresh
          </button>
        </>
      )}
    </p>
  );
}
