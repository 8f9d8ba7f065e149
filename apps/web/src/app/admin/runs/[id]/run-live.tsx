"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { LearningCurves } from "@/components/charts/learning-curves";
import { StatCard } from "@/components/charts/stat-card";
import { EvaluationTable } from "@/components/tables/evaluation-table";
import { StatusBadge } from "@/components/tables/status-badge";
import { describeEta, trainingEta } from "@/lib/eta";
import type { TRunDetail } from "@/server/runs/runs";

const ACTIVE = new Set(["QUEUED", "RUNNING"]);
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`;

function num(x: unknown): number | null {
  return typeof x === "number" && Number.isFinite(x) ? x : null;
}

// Live run view: polls /api/runs/[id] every 2 s while the run is queued or running; curves and progress
// update in place, no reload.
export function RunLive(props: { initial: TRunDetail }) {
  const router = useRouter();
  const [run, setRun] = useState(props.initial);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const active = ACTIVE.has(run.status);

  useEffect(() => {
    if (!active) return;
    let stopped = false;
    const tick = async () => {
      const res = await fetch(`/api/runs/${run.id}`, { cache: "no-store" }).catch(() => null);
      if (!stopped && res?.ok) setRun((await res.json()) as TRunDetail);
    };
    const t = setInterval(tick, 2000);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [active, run.id]);

  async function post(path: string, done: (json: Record<string, unknown>) => void) {
    setBusy(true);
    setMessage(null);
    const res = await fetch(path, { method: "POST" }).catch(() => null);
    const json = ((await res?.json().catch(() => ({}))) ?? {}) as Record<string, unknown>;
    setBusy(false);
    if (res?.ok) done(json);
    else setMessage(String(json.error ?? "The server did not answer"));
  }

  const p = run.progress ?? {};
  const epochs = run.config.epochs ?? 0;
  const batch = num(p.batch);
  const batches = num(p.batches);
  const fraction = epochs
    ? Math.min(1, (run.currentEpoch + (batch !== null && batches ? batch / batches : 0)) / epochs)
    : 0;
  const eta =
    run.status === "RUNNING"
      ? describeEta(
          trainingEta({
            epochs,
            currentEpoch: run.currentEpoch,
            epochDurationsMs: run.epochs.map((e) => e.durationMs),
            batch,
            batches,
            patience: run.config.patience ?? 0,
          }),
        )
      : null;
  const last = run.epochs.at(-1);
  const best = run.epochs.reduce<(typeof run.epochs)[number] | null>(
    (b, e) => (e.valAccuracy !== null && (b === null || (b.valAccuracy ?? -1) < e.valAccuracy) ? e : b),
    null,
  );

  return (
    <div className="space-y-6" data-testid="run-live" data-status={run.status} data-epoch={run.currentEpoch}>
      <div className="flex flex-wrap items-center gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
        <StatusBadge status={run.status} />
        <div className="min-w-64 flex-1">
          <div className="flex justify-between text-xs text-slate-600">
            <span data-testid="run-epoch">
              epoch {run.currentEpoch} / {epochs}
              {typeof p.phase === "string" && active ? ` · ${p.phase}` : ""}
              {batch !== null && batches && active ? ` · batch ${batch}/${batches}` : ""}
            </span>
            <span>
              {num(p.imagesPerSec) !== null ? `${num(p.imagesPerSec)!.toFixed(0)} img/s · ` : ""}
              {run.backend ?? "backend pending"}
              {run.attempts > 1 ? ` · attempt ${run.attempts}` : ""}
            </span>
          </div>
          {eta ? (
            <div className="mt-0.5 text-xs text-sky-700" data-testid="run-eta">
              {eta}
            </div>
          ) : null}
          <div className="mt-1.5 h-2 overflow-hidden rounded-full bg-slate-100">
            <div
              className={`h-full rounded-full transition-all ${run.status === "FAILED" ? "bg-rose-500" : run.status === "CANCELLED" ? "bg-amber-500" : "bg-indigo-600"}`}
              style={{ width: `${Math.round((run.status === "SUCCEEDED" ? 1 : fraction) * 100)}%` }}
            />
          </div>
        </div>
        <div className="flex gap-2">
          {active ? (
            <button
              type="button"
              disabled={busy || run.cancelRequested}
              onClick={() =>
                post(`/api/runs/${run.id}/cancel`, () => setRun({ ...run, cancelRequested: true }))
              }
              className="rounded-md border border-rose-300 bg-white px-3 py-1.5 text-sm font-medium text-rose-700 hover:bg-rose-50 disabled:opacity-50"
            >
              {run.cancelRequested ? "Cancelling…" : "Cancel"}
            </button>
          ) : (
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                post(`/api/runs/${run.id}/retry`, (j) => router.push(`/admin/runs/${String(j.id)}`))
              }
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50"
            >
              Retry with same config
            </button>
          )}
          {run.hasArtifact ? (
            <a
              href={`/api/runs/${run.id}/artifact`}
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50"
            >
              Download model
            </a>
          ) : null}
          {run.status === "SUCCEEDED" ? (
            <Link
              href={`/research/runs/${run.id}`}
              className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500"
            >
              Open dashboard
            </Link>
          ) : null}
        </div>
      </div>
      {message ? <p className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700">{message}</p> : null}
      {run.error ? (
        <p className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700" data-testid="run-error">
          {run.error}
        </p>
      ) : null}

      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <StatCard
          label="Train loss"
          value={last ? last.trainLoss.toFixed(4) : "—"}
          sub={last ? `split train · epoch ${last.epoch}` : "split train"}
        />
        <StatCard
          label="Valid accuracy"
          value={pct(last?.valAccuracy)}
          sub={
            last
              ? `split valid, whole · epoch ${last.epoch} · without train twins ${pct(last.valAccuracyWithoutTwins)}`
              : "split valid"
          }
          testId="stat-valid-accuracy"
        />
        <StatCard
          label="Best valid accuracy"
          value={pct(best?.valAccuracy)}
          sub={
            best
              ? `whole split: chooses the checkpoint · epoch ${best.epoch} · without train twins ${pct(best.valAccuracyWithoutTwins)}`
              : "whole split: chooses the checkpoint"
          }
        />
        <StatCard
          label="Throughput"
          value={last ? `${last.imagesPerSec.toFixed(0)} img/s` : "—"}
          sub={last ? `train · ${(last.durationMs / 1000).toFixed(1)} s/epoch` : "train"}
        />
      </div>

      <LearningCurves epochs={run.epochs} checkpointSplit={run.checkpointSplit} />

      {run.evaluations.length > 0 ? (
        <EvaluationTable
          evaluations={run.evaluations}
          checkpointSelectedOn={run.checkpointSelectedOn}
          checkpointSplit={run.checkpointSplit}
          twinRule={run.twinRule}
          withLossAndEce
        />
      ) : null}

      <details className="rounded-xl border border-slate-200 bg-white p-4 text-sm shadow-sm">
        <summary className="cursor-pointer font-medium text-slate-700">Configuration and provenance</summary>
        <dl className="mt-3 grid grid-cols-2 gap-x-6 gap-y-1 md:grid-cols-4">
          {Object.entries(run.config).map(([k, v]) => (
            <div key={k} className="flex justify-between gap-2 border-b border-slate-100 py-1">
              <dt className="text-slate-500">{k}</dt>
              <dd className="font-mono text-xs">{String(v ?? "—")}</dd>
            </div>
          ))}
          <div className="flex justify-between gap-2 border-b border-slate-100 py-1">
            <dt className="text-slate-500">code version</dt>
            <dd className="font-mono text-xs">{run.codeVersion ?? "—"}</dd>
          </div>
          <div className="flex justify-between gap-2 border-b border-slate-100 py-1">
            <dt className="text-slate-500">snapshot</dt>
            <dd className="font-mono text-xs">
              {run.snapshot ? `${run.snapshot.method} ${run.snapshot.id.slice(-6)}` : "—"}
            </dd>
          </div>
          <div className="flex justify-between gap-2 border-b border-slate-100 py-1">
            <dt className="text-slate-500">created by</dt>
            <dd className="text-xs">{run.createdBy ?? "—"}</dd>
          </div>
        </dl>
      </details>
    </div>
  );
}
