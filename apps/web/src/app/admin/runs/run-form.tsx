"use client";

import {
  DEFAULT_RUN_CONFIG,
  EPS_RULE,
  PREDICT_AFTER,
  RUN_BACKENDS,
  RUN_MODELS,
  RUN_SCHEDULES,
  RUN_SCHEMES,
  SCHEME_HELP,
  SCHEME_PAPER_NAMES,
  type TRunScheme,
} from "@concord/jobs/run-config";
import { useRouter } from "next/navigation";
import { type FormEvent, useMemo, useState } from "react";
import { type TApiError, toApiError } from "@/lib/api-error";
import { type RUN_FORM_BOOLEAN, type RUN_FORM_NUMERIC, runFormBody } from "@/lib/run-form-body";

type TOption = { id: string; name: string };
type TSnapOption = { id: string; datasetId: string; label: string };

const HELP: Record<string, string> = {
  model:
    "seed = small CNN, vgg13 = FER+ paper net, fast = the CPU recipe's net, fast-lite = lighter, fast-wide = fast with 1.5x channels",
  schedule: "plateau = halve the rate when valid stalls; cosine = per-batch decay to 1% of it",
  warmupEpochs: "linear warm-up from 10% of the rate, per batch; 0 = none",
  ema: "average of the weights (e.g. 0.999), used to select and save; 0 = off",
  mixup: "Beta(α, α) mixing of image and target pairs (e.g. 0.2); 0 = off",
  cutmix:
    "Beta(α, α) box pasted from another face, targets mixed by area (e.g. 1); 0 = off; with mixup: one per batch",
  logitAdjust: "τ: add τ·log(class prior) to the logits in the training loss (e.g. 1); 0 = off",
  classWeighting:
    "weight each face's loss by 1 / its label's (effective) frequency, from “Rebalance from” on (on: the best recipe measured)",
  classBalanceBeta:
    "β < 1: class-balanced weights, 1 / effective number (1 − βⁿ)/(1 − β) (e.g. 0.999); 1 = inverse frequency",
  rebalanceFrom:
    "first epoch of class weighting / logit adjustment: 0 = auto, the last quarter (19 of 24); 1 = all; a deferred run keeps its last epoch",
  ttaEval: "select the epoch on the face and its mirror, averaged (2x evaluation time)",
  eps: `the same for every scheme: ${EPS_RULE}; 0 = the one-hot consensus`,
  epochs: "1 – 500",
  patience: "early stopping on valid accuracy; 0 = off; a deferred run (the default) never stops early",
  learningRate: "Adam, in (0, 1]",
  batchSize: "1 – 1024",
  backend: "auto = tfjs-node-gpu > tfjs-node > wasm; gpu routes to GPU workers",
  maxTrainImages: "cap the training set (0 = all): for smoke tests",
  predictAfter: "store every image's prediction once the run succeeds; cross-fit: out-of-sample on TRAIN too",
  predictFolds: "cross-fit fold models (2 – 20), each trained like this run",
};

function Field(props: {
  name: string;
  label: string;
  error?: string;
  help?: string;
  children: React.ReactNode;
}) {
  const help = props.help ?? HELP[props.name];
  return (
    <div>
      <label htmlFor={`run-${props.name}`} className="text-xs font-medium text-slate-700">
        {props.label}
      </label>
      <div className="mt-1">{props.children}</div>
      {props.error ? (
        <span className="mt-1 block text-xs font-medium text-rose-600" data-testid={`error-${props.name}`}>
          {props.error}
        </span>
      ) : help ? (
        <span className="mt-1 block text-[11px] text-slate-500" data-testid={`help-${props.name}`}>
          {help}
        </span>
      ) : null}
    </div>
  );
}

const input =
  "w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200";

/** A number input of the run config, its default value from DEFAULT_RUN_CONFIG. */
function NumberField(props: {
  name: (typeof RUN_FORM_NUMERIC)[number];
  label: string;
  error?: string;
  step?: string;
}) {
  return (
    <Field name={props.name} label={props.label} error={props.error}>
      <input
        id={`run-${props.name}`}
        name={props.name}
        type="number"
        step={props.step}
        className={input}
        defaultValue={DEFAULT_RUN_CONFIG[props.name]}
      />
    </Field>
  );
}

/** A checkbox of the run config, ticked when its default is true; unticked it posts false (runFormBody). */
function CheckboxField(props: { name: (typeof RUN_FORM_BOOLEAN)[number]; label: string; error?: string }) {
  return (
    <Field name={props.name} label={props.label} error={props.error}>
      <input
        id={`run-${props.name}`}
        name={props.name}
        type="checkbox"
        className="h-4 w-4"
        defaultChecked={DEFAULT_RUN_CONFIG[props.name]}
      />
    </Field>
  );
}

export function RunForm(props: { datasets: TOption[]; snapshots: TSnapOption[] }) {
  const router = useRouter();
  const [datasetId, setDatasetId] = useState(props.datasets[0]?.id ?? "");
  const [scheme, setScheme] = useState<TRunScheme>(DEFAULT_RUN_CONFIG.scheme);
  const [error, setError] = useState<TApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const snaps = useMemo(
    () => props.snapshots.filter((s) => s.datasetId === datasetId),
    [props.snapshots, datasetId],
  );

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = runFormBody(new FormData(e.currentTarget).entries());
    try {
      const res = await fetch("/api/runs", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = (await res.json().catch(() => ({}))) as { id?: string };
      if (res.ok && json.id) {
        router.push(`/admin/runs/${json.id}`);
        return;
      }
      setError(toApiError(res.status, json));
    } catch {
      setError({ message: "Network error: the server did not answer" });
    } finally {
      setBusy(false);
    }
  }

  const err = (f: string) => (error?.field === f ? error.message : undefined);
  const d = DEFAULT_RUN_CONFIG;
  return (
    <form
      onSubmit={submit}
      // A field's refusal stays until that field is edited: a corrected value no longer shows the old message.
      onInput={(e) => {
        const name = (e.target as HTMLInputElement).name;
        if (error?.field && error.field === name) setError(null);
      }}
      noValidate
      className="space-y-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      data-testid="run-form"
    >
      <div className="grid gap-3 md:grid-cols-3">
        <Field name="name" label="Name" error={err("name")}>
          <input
            id="run-name"
            name="name"
            className={input}
            placeholder="e.g. vgg13 PLD eps=0.1"
            maxLength={120}
          />
        </Field>
        <Field name="datasetId" label="Dataset" error={err("datasetId")}>
          <select
            name="datasetId"
            className={input}
            value={datasetId}
            onChange={(e) => setDatasetId(e.target.value)}
          >
            {props.datasets.map((ds) => (
              <option key={ds.id} value={ds.id}>
                {ds.name}
              </option>
            ))}
          </select>
        </Field>
        <Field name="snapshotId" label="Label snapshot" error={err("snapshotId")}>
          <select id="run-snapshotId" name="snapshotId" className={input} defaultValue="">
            <option value="">Auto: worker builds one (FER+ scheme, else majority vote)</option>
            {snaps.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-5">
        <Field name="model" label="Model" error={err("model")}>
          <select id="run-model" name="model" className={input} defaultValue={d.model}>
            {RUN_MODELS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </Field>
        <Field name="scheme" label="Scheme (FER+)" error={err("scheme")} help={SCHEME_HELP[scheme]}>
          <select
            id="run-scheme"
            name="scheme"
            className={input}
            value={scheme}
            onChange={(e) => setScheme(e.target.value as TRunScheme)}
          >
            {RUN_SCHEMES.map((m) => (
              <option key={m} value={m}>
                {m} ({SCHEME_PAPER_NAMES[m]})
              </option>
            ))}
          </select>
        </Field>
        <NumberField name="eps" label="Smoothing eps" step="0.01" error={err("eps")} />
        <NumberField name="epochs" label="Epochs" error={err("epochs")} />
        <NumberField name="patience" label="Patience" error={err("patience")} />
        <NumberField name="learningRate" label="Learning rate" step="any" error={err("learningRate")} />
        <NumberField name="batchSize" label="Batch size" error={err("batchSize")} />
        <NumberField name="seed" label="Seed" error={err("seed")} />
        <Field name="backend" label="Backend" error={err("backend")}>
          <select id="run-backend" name="backend" className={input} defaultValue={d.backend}>
            {RUN_BACKENDS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </Field>
        <NumberField name="maxTrainImages" label="Max train images" error={err("maxTrainImages")} />
        <Field name="predictAfter" label="Predictions after" error={err("predictAfter")}>
          <select id="run-predictAfter" name="predictAfter" className={input} defaultValue={d.predictAfter}>
            {PREDICT_AFTER.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </Field>
        <NumberField name="predictFolds" label="Cross-fit folds" error={err("predictFolds")} />
      </div>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-5" data-testid="run-levers">
        <Field name="schedule" label="LR schedule" error={err("schedule")}>
          <select id="run-schedule" name="schedule" className={input} defaultValue={d.schedule}>
            {RUN_SCHEDULES.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </Field>
        <NumberField name="warmupEpochs" label="Warm-up epochs" error={err("warmupEpochs")} />
        <NumberField name="ema" label="Weight EMA decay" step="any" error={err("ema")} />
        <NumberField name="mixup" label="Mixup α" step="any" error={err("mixup")} />
        <NumberField name="cutmix" label="CutMix α" step="any" error={err("cutmix")} />
        <NumberField name="logitAdjust" label="Logit adjustment τ" step="any" error={err("logitAdjust")} />
        <CheckboxField name="classWeighting" label="Class weighting" error={err("classWeighting")} />
        <NumberField
          name="classBalanceBeta"
          label="Class-balance β"
          step="any"
          error={err("classBalanceBeta")}
        />
        <NumberField name="rebalanceFrom" label="Rebalance from" error={err("rebalanceFrom")} />
        <CheckboxField name="ttaEval" label="Mirror TTA in selection" error={err("ttaEval")} />
      </div>
      {error && !error.field ? (
        <p
          role="alert"
          className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-700"
          data-testid="run-form-error"
        >
          {error.message}
        </p>
      ) : null}
      <button
        type="submit"
        disabled={busy || !datasetId}
        className="rounded-md bg-indigo-600 px-6 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-50"
      >
        {busy ? "Launching…" : "Launch run"}
      </button>
    </form>
  );
}
