"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { toApiError } from "@/lib/api-error";
import { importHeadline, importOutcome } from "@/lib/import-outcome";

type TReport = {
  datasetSlug: string;
  layout: string;
  added: number;
  skipped: number;
  unvotedSkipped: number;
  aborted: boolean;
  rejected: { file: string; line?: number; reason: string }[];
  imagesPerSec: number;
  seconds: number;
};

const input =
  "w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200";
const fileInput =
  "mt-1 block w-full text-xs text-slate-600 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-1.5 file:text-sm file:font-medium file:text-slate-700 hover:file:bg-slate-200";
const button =
  "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-50";

const TONE = {
  ok: "border-emerald-200 bg-emerald-50",
  partial: "border-amber-200 bg-amber-50",
  failed: "border-rose-200 bg-rose-50",
} as const;

function ReportView(props: { report: TReport }) {
  const r = props.report;
  const outcome = importOutcome(r);
  return (
    <div
      className={`mt-3 rounded-lg border p-3 text-sm ${TONE[outcome]}`}
      data-testid="import-report"
      data-outcome={outcome}
      role={outcome === "failed" ? "alert" : "status"}
    >
      <p className="font-medium">
        {importHeadline(r)} {r.datasetSlug} ({r.layout}): {r.added} added, {r.skipped} already there,{" "}
        {r.rejected.length} rejected
        {r.unvotedSkipped ? `, ${r.unvotedSkipped} without votes skipped` : ""} · {r.seconds.toFixed(1)} s ·{" "}
        {r.imagesPerSec.toFixed(0)} img/s
      </p>
      {r.rejected.length > 0 ? (
        <ul className="mt-2 max-h-48 list-disc overflow-auto pl-5 text-xs text-rose-800">
          {r.rejected.slice(0, 200).map((x) => (
            <li key={`${x.file}:${x.line ?? ""}:${x.reason}`}>
              {x.file}
              {x.line ? `:${x.line}` : ""} — {x.reason}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function ImportForms(props: { uploadLimitMiB: number; existing: string[] }) {
  const router = useRouter();
  const [busy, setBusy] = useState<"folder" | "upload" | null>(null);
  const [report, setReport] = useState<TReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function send(kind: "folder" | "upload", init: RequestInit, url: string) {
    setBusy(kind);
    setError(null);
    setReport(null);
    try {
      const res = await fetch(url, init);
      const json = (await res.json().catch(() => ({}))) as TReport;
      if (res.ok || res.status === 422) {
        setReport(json);
        router.refresh();
      } else setError(toApiError(res.status, json, "Import").message);
    } catch {
      setError("Network error: the server did not answer");
    } finally {
      setBusy(null);
    }
  }

  function folder(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const fd = new FormData(e.currentTarget);
    const body = {
      datasetSlug: fd.get("datasetSlug"),
      name: fd.get("name") || undefined,
      path: fd.get("path"),
      layout: fd.get("layout"),
      strict: fd.get("strict") === "on",
    };
    void send(
      "folder",
      { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) },
      "/api/datasets",
    );
  }

  function upload(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const fd = new FormData(e.currentTarget);
    const size = fd.getAll("images").reduce((n, f) => n + (typeof f === "string" ? 0 : f.size), 0);
    if (size > props.uploadLimitMiB * 1024 * 1024) {
      setError(
        `The selected files total ${(size / 1024 / 1024).toFixed(1)} MiB; the limit is ${props.uploadLimitMiB} MiB.`,
      );
      return;
    }
    void send("upload", { method: "POST", body: fd }, "/api/datasets/upload");
  }

  return (
    <div>
      <div className="grid gap-4 lg:grid-cols-2">
        <form
          onSubmit={folder}
          className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
        >
          <h3 className="text-sm font-semibold text-slate-800">Server folder</h3>
          <p className="text-xs text-slate-500">
            A folder on this server: FER+ (FER2013Train/Valid/Test with label.csv), Kaggle fer2013.csv (+
            fer2013new.csv), or generic images with optional votes.csv (task,worker,label) and gold.csv
            (task,label). Importing the same folder twice adds nothing.
          </p>
          <div className="grid grid-cols-2 gap-3">
            <label className="text-xs font-medium text-slate-700">
              Dataset slug
              <input
                name="datasetSlug"
                required
                list="dataset-slugs"
                className={input}
                placeholder="ferplus"
              />
            </label>
            <label className="text-xs font-medium text-slate-700">
              Name (new dataset)
              <input name="name" className={input} placeholder="FER+" />
            </label>
          </div>
          <datalist id="dataset-slugs">
            {props.existing.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
          <label className="block text-xs font-medium text-slate-700">
            Absolute path
            <input name="path" required className={input} placeholder="/data/ferplus" />
          </label>
          <div className="flex items-end gap-4">
            <label className="text-xs font-medium text-slate-700">
              Layout
              <select name="layout" className={input} defaultValue="auto">
                <option>auto</option>
                <option>ferplus</option>
                <option>fer2013</option>
                <option>generic</option>
              </select>
            </label>
            <label className="flex items-center gap-2 pb-2 text-xs text-slate-700">
              <input type="checkbox" name="strict" /> strict (commit nothing if any row is rejected)
            </label>
          </div>
          <button type="submit" className={button} disabled={busy !== null}>
            {busy === "folder" ? "Importing…" : "Import folder"}
          </button>
        </form>

        <form
          onSubmit={upload}
          className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
        >
          <h3 className="text-sm font-semibold text-slate-800">Upload</h3>
          <p className="text-xs text-slate-500">
            Images (any size; converted to 48×48 grayscale, the conversion is recorded) into one split, with
            optional votes and gold CSVs. Up to {props.uploadLimitMiB} MiB per upload.
          </p>
          <div className="grid grid-cols-2 gap-3">
            <label className="text-xs font-medium text-slate-700">
              Dataset slug
              <input
                name="datasetSlug"
                required
                list="dataset-slugs"
                className={input}
                placeholder="my-faces"
              />
            </label>
            <label className="text-xs font-medium text-slate-700">
              Split
              <select name="split" className={input} defaultValue="TRAIN">
                <option value="TRAIN">train</option>
                <option value="VALID">valid</option>
                <option value="TEST">test</option>
              </select>
            </label>
          </div>
          <label className="block text-xs font-medium text-slate-700">
            Images
            <input name="images" type="file" multiple accept="image/*" required className={fileInput} />
          </label>
          <div className="grid grid-cols-2 gap-3">
            <label className="text-xs font-medium text-slate-700">
              votes.csv
              <input name="votes" type="file" accept=".csv,text/csv" className={fileInput} />
            </label>
            <label className="text-xs font-medium text-slate-700">
              gold.csv
              <input name="gold" type="file" accept=".csv,text/csv" className={fileInput} />
            </label>
          </div>
          <button type="submit" className={button} disabled={busy !== null}>
            {busy === "upload" ? "Uploading…" : "Upload and import"}
          </button>
        </form>
      </div>
      {error ? (
        <p role="alert" className="mt-3 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700">
          {error}
        </p>
      ) : null}
      {report ? <ReportView report={report} /> : null}
    </div>
  );
}
