"use client";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { toApiError } from "@/lib/api-error";
import { describeCheckRule } from "@/lib/check-rule";
import { checkRuleOf, type TDatasetChecks } from "@/lib/check-settings";

type TPool = { gold: number; examples: number; checkFaces: number };

const input =
  "w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200";

// Shares are edited as percentages and sent as fractions (the API's unit).
const PERCENT_FIELDS = new Set(["goldMinAccuracy", "goldConfidence", "qualificationPassMark"]);

type TNumberField = { name: keyof TDatasetChecks; label: string; hint: string };

function Field(props: TNumberField & { value: number; error?: string; onChange: (v: number) => void }) {
  const isPercent = PERCENT_FIELDS.has(props.name);
  return (
    <label className="block text-sm">
      <span className="font-medium text-slate-700">{props.label}</span>
      <input
        name={props.name}
        type="number"
        step={isPercent ? "0.1" : "1"}
        value={Number.isFinite(props.value) ? +(isPercent ? props.value * 100 : props.value).toFixed(3) : ""}
        onChange={(e) => props.onChange(isPercent ? Number(e.target.value) / 100 : Number(e.target.value))}
        className={`${input} mt-1 ${props.error ? "border-rose-400" : ""}`}
      />
      <span className="mt-0.5 block text-xs text-slate-500">{props.hint}</span>
      {props.error ? <span className="mt-0.5 block text-xs text-rose-600">{props.error}</span> : null}
    </label>
  );
}

const fieldsets = (pool: TPool): { legend: string; fields: TNumberField[] }[] => [
  {
    legend: "Pausing on check answers",
    fields: [
      { name: "goldMinAccuracy", label: "Required accuracy (%)", hint: "on the latest check answers" },
      { name: "goldMinAnswers", label: "Answers before any pause", hint: "counted from the last resume" },
      { name: "goldWindow", label: "Window (latest answers judged)", hint: "at least the minimum" },
      { name: "goldConfidence", label: "Confidence of the bound (%)", hint: "Wilson interval, 80 to 99.9" },
    ],
  },
  {
    legend: "Guidelines and qualification",
    fields: [
      {
        name: "guideExamples",
        label: "Example faces per label",
        hint: `gold faces shown on the guidelines, never asked (${pool.gold} gold now)`,
      },
      {
        name: "qualificationSize",
        label: "Qualification faces (0: none)",
        hint: `check faces before votes count; ${pool.checkFaces} available with the saved examples`,
      },
      { name: "qualificationPassMark", label: "Pass mark (%)", hint: "share of the round's faces right" },
      { name: "qualificationAttempts", label: "Attempts", hint: "then an admin allows another" },
    ],
  },
];

// The dataset's check rule, guidelines and qualification round (PATCH /api/datasets/:id/checks).
export function CheckSettingsForm(props: { datasetId: string; initial: TDatasetChecks; pool: TPool }) {
  const router = useRouter();
  const [values, setValues] = useState(props.initial);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const [isBusy, setBusy] = useState(false);
  const update = (name: keyof TDatasetChecks) => (v: number) => {
    setSaved(false);
    setValues((x) => ({ ...x, [name]: v }));
  };
  const fieldError = (name: string) => (error?.field === name ? error.message : undefined);
  let preview: string[] = [];
  try {
    preview = describeCheckRule(checkRuleOf(values));
  } catch {
    preview = ["(the confidence must be between 80% and 99.9%)"];
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const res = await fetch(`/api/datasets/${encodeURIComponent(props.datasetId)}/checks`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(values),
      });
      if (res.ok) {
        setSaved(true);
        router.refresh();
      } else setError(toApiError(res.status, await res.json().catch(() => null), "Saving"));
    } catch {
      setError({ message: "Network error: the server did not answer" });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      onSubmit={submit}
      className="space-y-5 rounded-xl border border-slate-200 bg-white p-5 shadow-sm"
      data-testid="check-settings"
    >
      {fieldsets(props.pool).map((set, i) => (
        <div key={set.legend} className="space-y-3">
          <fieldset className="grid gap-4 md:grid-cols-4">
            <legend className="mb-2 text-sm font-semibold text-slate-800">{set.legend}</legend>
            {set.fields.map((f) => (
              <Field
                key={f.name}
                {...f}
                value={values[f.name] as number}
                error={fieldError(f.name)}
                onChange={update(f.name)}
              />
            ))}
          </fieldset>
          {i === 0 ? (
            <ul className="list-disc space-y-0.5 pl-5 text-xs text-slate-600" data-testid="rule-preview">
              {preview.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ))}
      <label className="block text-sm">
        <span className="font-medium text-slate-700">Note for annotators (shown on the guidelines)</span>
        <textarea
          name="guidelines"
          rows={3}
          value={values.guidelines}
          onChange={(e) => {
            setSaved(false);
            setValues((x) => ({ ...x, guidelines: e.target.value }));
          }}
          className={`${input} mt-1`}
        />
        {fieldError("guidelines") ? (
          <span className="mt-0.5 block text-xs text-rose-600">{fieldError("guidelines")}</span>
        ) : null}
      </label>
      <div className="flex items-center gap-3">
        <button
          type="submit"
          disabled={isBusy}
          className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-50"
        >
          {isBusy ? "Saving…" : "Save check settings"}
        </button>
        {saved ? (
          <span className="text-sm text-emerald-700" data-testid="check-settings-saved">
            Saved
          </span>
        ) : null}
        {error && !error.field ? (
          <span className="text-sm text-rose-600" role="alert">
            {error.message}
          </span>
        ) : null}
      </div>
    </form>
  );
}
