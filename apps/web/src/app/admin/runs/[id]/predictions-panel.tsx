"use client";

import { DEFAULT_PREDICT_FOLDS, PREDICT_SCHEMES } from "@concord/jobs/run-config";
import { type FormEvent, useEffect, useState } from "react";
import { StatusBadge } from "@/components/tables/status-badge";
import { type TApiError, toApiError } from "@/lib/api-error";
import type { TPredictionSetView } from "@/server/predictions/predictions";

const ACTIVE = new Set(["QUEUED", "RUNNING"]);
const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);

function progressLine(s: TPredictionSetView): string {
  const p = s.progress ?? {};
  const parts: string[] = [];
  if (typeof p.phase === "string") parts.push(String(p.phase));
  const fold = num(p.fold);
  if (fold) parts.push(`fold ${fold}/${s.folds}`);
  else if (p.phase === "predicting") parts.push("run's model");
  if (p.phase === "training" && num(p.epochs)) parts.push(`epoch ${num(p.epoch) ?? 0}/${num(p.epochs)}`);
  const ips = num(p.imagesPerSec);
  if (ips !== null) parts.push(`${ips.toFixed(0)} img/s`);
  return parts.join(" · ");
}

// The run's stored predictions: launch a set (cross-fit or in-sample), watch its progress, see which rows
// are out-of-sample per split, cancel/resume, export. Polls while a set is queued or running, and while a
// set launched by predictAfter is still to appear.
export function PredictionsPanel(props: {
  runId: string;
  canPredict: boolean;
  expectAuto: boolean;
  initial: TPredictionSetView[];
}) {
  const [sets, setSets] = useState(props.initial);
  const [error, setError] = useState<TApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [scheme, setScheme] = useState<string>("cross-fit");
  const polling = sets.some((s) => ACTIVE.has(s.status)) || (props.expectAuto && sets.length === 0);

  async function refresh() {
    const res = await fetch(`/api/predictions?runId=${props.runId}`, { cache: "no-store" }).catch(() => null);
    if (res?.ok) setSets(((await res.json()) as { sets: TPredictionSetView[] }).sets);
  }

  useEffect(() => {
    if (!polling) return;
    const t = setInterval(refresh, 2000);
    return () => clearInterval(t);
  });

  async function send(path: string, body?: unknown) {
    setBusy(true);
    setError(null);
    try {
      const res = await fetch(path, {
        method: "POST",
        ...(body === undefined
          ? {}
          : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }),
      });
      if (!res.ok) setError(toApiError(res.status, await res.json().catch(() => ({}))));
      await refresh();
    } catch {
      setError({ message: "Network error: the server did not answer" });
    } finally {
      setBusy(false);
    }
  }

  function launch(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const fd = new FormData(e.currentTarget);
    const folds = fd.get("folds");
    void send("/api/predictions", {
      runId: props.runId,
      scheme: fd.get("scheme"),
      ...(scheme === "cross-fit" && folds !== "" ? { folds: Number(folds) } : {}),
    });
  }

  const input = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm shadow-sm";
  return (
    <section
      className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      data-testid="predictions"
    >
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 className="text-sm font-semibold text-slate-800">Stored predictions</h2>
          <p className="text-xs text-slate-500">
            Every image of the dataset, every split. Out-of-sample: the model that made the row never trained
            on the image (cross-fit: TRAIN faces by fold models that left them out).
          </p>
        </div>
        {props.canPredict ? (
          <form onSubmit={launch} className="flex items-end gap-2" noValidate>
            <label className="text-xs text-slate-600">
              Scheme
              <select
                name="scheme"
                className={`${input} ml-1`}
                value={scheme}
                onChange={(e) => setScheme(e.target.value)}
              >
                {PREDICT_SCHEMES.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
            {scheme === "cross-fit" ? (
              <label className="text-xs text-slate-600">
                Folds
                <input
                  name="folds"
                  type="number"
                  className={`${input} ml-1 w-16`}
                  defaultValue={DEFAULT_PREDICT_FOLDS}
                />
              </label>
            ) : null}
            <button
              type="submit"
              disabled={busy}
              className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-50"
              data-testid="predict-button"
            >
              Predict every image
            </button>
          </form>
        ) : null}
      </div>
      {error ? (
        <p role="alert" className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700">
          {error.message}
        </p>
      ) : null}
      {sets.length === 0 ? (
        <p className="text-sm text-slate-500">
          {props.expectAuto ? "Predictions are launched when the run succeeds." : "No predictions yet."}
        </p>
      ) : (
        <div className="overflow-x-auto">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-xs text-slate-600">
              <tr>
                <th className="px-3 py-2 text-left">Set</th>
                <th className="px-3 py-2 text-left">Status</th>
                <th className="px-3 py-2 text-left">Progress</th>
                <th className="px-3 py-2 text-left">Out-of-sample rows per split</th>
                <th className="px-3 py-2 text-right">Inference</th>
                <th className="px-3 py-2 text-right" />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {sets.map((s) => {
                const total = num(s.progress?.total) ?? 0;
                const done = s.predicted;
                return (
                  <tr key={s.id} data-testid={`prediction-set-${s.id}`} data-status={s.status}>
                    <td className="px-3 py-2">
                      <div className="font-medium">
                        {s.scheme}
                        {s.scheme === "cross-fit" ? ` · ${s.folds} folds` : ""}
                        {s.tta ? (
                          <span
                            className="ml-1 text-xs font-normal text-slate-500"
                            title="Each row is the mean over the face and its mirror, as the run's evaluation scored"
                            data-testid="prediction-tta"
                          >
                            · mirror TTA
                          </span>
                        ) : null}
                      </div>
                      <div className="text-xs text-slate-500">
                        {s.datasetName} · {s.id.slice(-6)} · {new Date(s.createdAt).toLocaleString()}
                      </div>
                    </td>
                    <td className="px-3 py-2">
                      <StatusBadge status={s.status} />
                      {s.error ? <div className="mt-1 text-xs text-rose-700">{s.error}</div> : null}
                    </td>
                    <td className="min-w-48 px-3 py-2">
                      <div className="text-xs text-slate-600">
                        {done}/{total} images{ACTIVE.has(s.status) ? ` · ${progressLine(s)}` : ""}
                      </div>
                      <div className="mt-1 h-1.5 overflow-hidden rounded-full bg-slate-100">
                        <div
                          className="h-full rounded-full bg-indigo-600"
                          style={{ width: `${total ? Math.round((done / total) * 100) : 0}%` }}
                        />
                      </div>
                      {s.foldModels.length > 0 ? (
                        <div className="mt-1 text-[11px] text-slate-500">
                          {s.foldModels
                            .map(
                              (f) =>
                                `fold ${f.fold}: ${f.trainImages} train${f.validAccuracy === null ? "" : `, valid ${(f.validAccuracy * 100).toFixed(1)}%`}${typeof f.validAccuracyWithoutTwins === "number" ? ` (without train twins ${(f.validAccuracyWithoutTwins * 100).toFixed(1)}%)` : ""}`,
                            )
                            .join(" · ")}
                        </div>
                      ) : null}
                    </td>
                    <td className="px-3 py-2 text-xs">
                      {s.splits.map((c) => (
                        <div key={c.split} data-testid={`oos-${c.split}`}>
                          <StatusBadge status={c.split} /> {c.outOfSample}/{c.outOfSample + c.inSample}
                          {c.inSample > 0 ? " (the rest in-sample)" : ""}
                        </div>
                      ))}
                    </td>
                    <td className="px-3 py-2 text-right text-xs tabular-nums">
                      {s.imagesPerSec === null
                        ? "—"
                        : `${s.imagesPerSec.toFixed(0)} img/s${s.tta ? " (face + mirror)" : ""}`}
                      <div className="text-slate-500">{s.backend ?? ""}</div>
                    </td>
                    <td className="space-x-2 whitespace-nowrap px-3 py-2 text-right">
                      {ACTIVE.has(s.status) ? (
                        <button
                          type="button"
                          disabled={busy || s.cancelRequested}
                          onClick={() => void send(`/api/predictions/${s.id}/cancel`)}
                          className="rounded-md border border-rose-300 px-2 py-1 text-xs text-rose-700 hover:bg-rose-50 disabled:opacity-50"
                        >
                          {s.cancelRequested ? "Cancelling…" : "Cancel"}
                        </button>
                      ) : null}
                      {s.status === "CANCELLED" || s.status === "FAILED" ? (
                        <button
                          type="button"
                          disabled={busy}
                          onClick={() => void send(`/api/predictions/${s.id}/resume`)}
                          className="rounded-md border border-slate-300 px-2 py-1 text-xs text-slate-700 hover:bg-slate-50 disabled:opacity-50"
                        >
                          Resume
                        </button>
                      ) : null}
                      {s.status === "SUCCEEDED"
                        ? (["csv", "json"] as const).map((f) => (
                            <a
                              key={f}
                              href={`/api/exports/predictions?set=${s.id}&format=${f}`}
                              className="rounded-md border border-slate-300 px-2 py-1 text-xs text-slate-700 hover:bg-slate-50"
                            >
                              {f.toUpperCase()}
                            </a>
                          ))
                        : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
