"use client";
import { FERPLUS_LABELS } from "@concord/crowd/labels";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { CheckFeedbackPanel, RoundBanner, RoundBlockedPanel } from "./check-panels";
import { actionForKey, hotkeysFor } from "./hotkeys";
import { type TGold, type TProgress, useLabeling } from "./use-labeling";

const TOAST_STYLE = {
  correct: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  wrong: "bg-amber-50 text-amber-900 ring-amber-200",
  info: "bg-slate-50 text-slate-700 ring-slate-200",
  error: "bg-rose-50 text-rose-800 ring-rose-200",
} as const;

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white px-4 py-3 shadow-sm">
      <div className="text-[11px] font-semibold uppercase tracking-wider text-slate-400">{label}</div>
      <div className="mt-0.5 text-xl font-semibold tabular-nums text-slate-900" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

function Kbd({ children }: { children: string }) {
  return (
    <kbd className="inline-grid min-w-6 place-items-center rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 text-xs font-semibold text-slate-600 shadow-[0_1px_0_rgb(203_213_225)]">
      {children}
    </kbd>
  );
}

export type TDatasetChoice = { id: string; slug: string; name: string };

export function Labeler({
  initialProgress,
  initialGold,
  datasets,
  datasetId,
  initialWarnings = {},
}: {
  initialProgress: TProgress;
  initialGold: TGold;
  datasets: TDatasetChoice[];
  datasetId: string | null;
  // Check-rule warnings standing when the page loaded, by dataset id.
  initialWarnings?: Record<string, string>;
}) {
  const router = useRouter();
  const {
    current,
    progress,
    gold,
    toast,
    paused,
    session,
    vote,
    undo,
    skip,
    feedback,
    warnings,
    blocked,
    passedRound,
    retryRound,
    dismissRound,
  } = useLabeling(initialProgress, initialGold, datasetId, initialWarnings);
  const hotkeys = useMemo(() => hotkeysFor(current?.taxonomy ?? FERPLUS_LABELS), [current?.taxonomy]);
  const [flash, setFlash] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
      const target = e.target as HTMLElement | null;
      if (target && ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return;
      const action = actionForKey(e.key, hotkeys);
      if (!action) return;
      e.preventDefault();
      if (action.kind === "vote") {
        if (!current) return;
        setFlash(action.label);
        vote(action.label);
      } else if (action.kind === "skip") skip();
      else undo();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [hotkeys, current, vote, skip, undo]);

  useEffect(() => {
    if (!flash) return;
    const t = setTimeout(() => setFlash(null), 180);
    return () => clearTimeout(t);
  }, [flash]);

  if (paused) {
    return (
      <div
        className="mx-auto mt-10 max-w-xl rounded-2xl border border-rose-200 bg-white p-8 shadow-sm"
        data-testid="paused"
      >
        <p className="text-sm font-semibold text-rose-600">Labelling paused</p>
        <h1 className="mt-2 text-2xl font-semibold tracking-tight">Your account is paused</h1>
        <p className="mt-3 text-sm leading-relaxed text-slate-600">{paused}</p>
        {feedback ? (
          <div className="mt-4">
            <CheckFeedbackPanel key={feedback.id} feedback={feedback} />
          </div>
        ) : null}
        <Link
          href="/label/checks"
          className="mt-4 inline-block text-sm font-medium text-indigo-700 underline-offset-2 hover:underline"
        >
          See my check answers →
        </Link>
      </div>
    );
  }

  const minutes = session.startedAt ? Math.max((now - session.startedAt) / 60_000, 1 / 60) : 0;
  const rate = session.votes >= 2 && minutes ? (session.votes / minutes).toFixed(1) : "—";
  const goldText = gold.accuracy === null ? "—" : `${Math.round(gold.accuracy * 100)}%`;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Label faces</h1>
          <p className="mt-1 text-sm text-slate-500">
            Pick the expression you see. Keyboard only: the key is shown on each choice.
          </p>
          <label className="mt-3 flex max-w-3xl items-center gap-2 whitespace-nowrap text-sm text-slate-600">
            Dataset
            <select
              aria-label="Dataset"
              value={datasets.find((d) => d.id === datasetId)?.slug ?? ""}
              onChange={(e) => {
                // Keys stay for labelling: leave the select so 1-8/U/N/S/Z reach the page again.
                e.currentTarget.blur();
                router.push(
                  e.target.value ? `/label?dataset=${encodeURIComponent(e.target.value)}` : "/label",
                );
              }}
              className="w-full max-w-sm rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
            >
              <option value="">All datasets, in order</option>
              {datasets.map((d) => (
                <option key={d.id} value={d.slug}>
                  {d.name}
                </option>
              ))}
            </select>
            {current && !datasetId ? (
              <span className="truncate whitespace-nowrap text-slate-400">now: {current.datasetName}</span>
            ) : null}
          </label>
          <p className="mt-2 flex gap-4 text-sm">
            <Link
              className="font-medium text-indigo-700 underline-offset-2 hover:underline"
              href={`/label/guidelines${
                (current?.datasetId ?? datasetId)
                  ? `?dataset=${encodeURIComponent((current?.datasetId ?? datasetId)!)}`
                  : ""
              }`}
            >
              Guidelines and examples
            </Link>
            <Link
              className="font-medium text-indigo-700 underline-offset-2 hover:underline"
              href="/label/checks"
            >
              My checks
            </Link>
          </p>
        </div>
        <div className="grid grid-cols-4 gap-3">
          <Stat label="Today" value={progress.today.toLocaleString("en")} testId="progress-today" />
          <Stat label="Total" value={progress.total.toLocaleString("en")} testId="progress-total" />
          <Stat label="Per minute" value={rate} testId="rate" />
          <Stat label="Gold accuracy" value={goldText} testId="gold-accuracy" />
        </div>
      </div>

      {warnings.map((w) => (
        <p
          key={w}
          data-testid="check-warning"
          className="rounded-xl border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900"
        >
          {w}{" "}
          <Link href="/label/checks" className="font-medium underline underline-offset-2">
            See my checks
          </Link>
        </p>
      ))}
      {passedRound ? (
        <p
          data-testid="qualification-passed"
          className="rounded-xl border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm font-medium text-emerald-800"
        >
          {passedRound}
        </p>
      ) : null}
      {blocked.map((b) => (
        <RoundBlockedPanel
          key={b.datasetId}
          block={b}
          onRetry={() => void retryRound(b.datasetId)}
          onDismiss={datasetId ? undefined : () => dismissRound(b.datasetId)}
        />
      ))}
      {current?.qualification ? (
        <RoundBanner datasetName={current.datasetName} round={current.qualification} />
      ) : null}

      <div className="grid gap-6 lg:grid-cols-[auto_1fr]">
        <div className="rounded-2xl border border-slate-200 bg-white p-4 shadow-sm">
          <div className="relative grid size-[384px] place-items-center overflow-hidden rounded-xl bg-slate-900">
            {current ? (
              // biome-ignore lint/performance/noImgElement: a 48x48 data URL upscaled with image-rendering: pixelated; next/image would resample it
              <img
                src={current.image}
                alt="Face to label"
                width={384}
                height={384}
                data-testid="face"
                data-image-id={current.imageId}
                className="pixelated size-[384px] select-none"
                draggable={false}
              />
            ) : current === null ? (
              <div className="p-8 text-center text-slate-200" data-testid="no-tasks">
                {blocked.length ? (
                  <p className="text-lg font-semibold">No face for you here until you pass (see above)</p>
                ) : (
                  <>
                    <p className="text-lg font-semibold">All caught up</p>
                    <p className="mt-1 text-sm text-slate-400">
                      No face needs your vote right now. Thank you!
                    </p>
                  </>
                )}
              </div>
            ) : (
              <output className="size-10 animate-spin rounded-full border-2 border-slate-600 border-t-slate-200">
                <span className="sr-only">Loading</span>
              </output>
            )}
            {flash ? <div className="pointer-events-none absolute inset-0 bg-indigo-500/20" /> : null}
          </div>
          <div className="mt-4 flex items-center justify-between gap-3 text-sm">
            <button
              type="button"
              onClick={skip}
              className="flex items-center gap-2 rounded-md border border-slate-200 px-3 py-1.5 text-slate-700 hover:bg-slate-50"
            >
              Skip <Kbd>S</Kbd>
              <Kbd>Space</Kbd>
            </button>
            <button
              type="button"
              onClick={undo}
              className="flex items-center gap-2 rounded-md border border-slate-200 px-3 py-1.5 text-slate-700 hover:bg-slate-50"
            >
              Undo last <Kbd>Z</Kbd>
              <Kbd>⌫</Kbd>
            </button>
          </div>
        </div>

        <div className="flex flex-col gap-4">
          <fieldset className="grid grid-cols-2 gap-2" aria-label="Labels">
            {hotkeys.map((h) => (
              <button
                key={h.label}
                type="button"
                disabled={!current}
                onClick={() => {
                  setFlash(h.label);
                  vote(h.label);
                }}
                data-label={h.label}
                className={`flex items-center justify-between rounded-xl border px-4 py-3 text-left text-sm font-medium shadow-sm transition-colors disabled:opacity-50 ${
                  flash === h.label
                    ? "border-indigo-400 bg-indigo-50 text-indigo-800"
                    : "border-slate-200 bg-white text-slate-800 hover:border-indigo-300 hover:bg-indigo-50/50"
                }`}
              >
                <span>{h.title}</span>
                {h.key ? <Kbd>{h.key}</Kbd> : null}
              </button>
            ))}
          </fieldset>
          <div className="min-h-[6.5rem] space-y-2" aria-live="polite">
            {feedback ? <CheckFeedbackPanel key={feedback.id} feedback={feedback} /> : null}
            {toast ? (
              <p
                key={toast.id}
                data-testid="toast"
                className={`rounded-lg px-4 py-3 text-sm font-medium ring-1 ring-inset ${TOAST_STYLE[toast.kind]}`}
              >
                {toast.text}
              </p>
            ) : null}
          </div>
          <p className="text-xs leading-relaxed text-slate-400">
            Some faces are check questions with a known answer; right after answering one you see that face,
            your answer and the expected one for a few seconds. Accuracy on them keeps the labels trustworthy;{" "}
            <Link href="/label/checks" className="underline underline-offset-2">
              My checks
            </Link>{" "}
            lists them and explains when labelling pauses.
          </p>
        </div>
      </div>
    </div>
  );
}
