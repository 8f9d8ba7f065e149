// The compare page's configuration rows (pure, unit-tested): one row per field of the run config contract
// (@concord/jobs ZRunConfig), so a field added there shows up here without anyone remembering to, plus what
// the worker recorded (backend used, code version, epochs run). Rows whose values differ are marked.
import {
  rebalanceFromOf,
  SCHEME_PAPER_NAMES,
  type TRunConfig,
  type TRunScheme,
  ZRunConfig,
} from "@concord/jobs/run-config";

export type TCompareRun = {
  config: Partial<TRunConfig>;
  datasetName: string;
  snapshot: { id: string; method: string } | null;
  backend: string | null;
  codeVersion: string | null;
  epochsRun: number;
};

export type TConfigRow = { key: string; label: string; values: string[]; differs: boolean };

/** The run's name heads its column instead of a row. */
export const IN_HEADER: readonly (keyof TRunConfig)[] = ["name"];

const LABELS: Record<keyof TRunConfig, string> = {
  name: "Name",
  datasetId: "Dataset",
  snapshotId: "Label snapshot",
  model: "Model",
  scheme: "Scheme",
  eps: "Smoothing ε",
  epochs: "Epochs (max)",
  patience: "Early-stopping patience",
  learningRate: "Learning rate",
  batchSize: "Batch size",
  seed: "Seed",
  optimizer: "Optimizer",
  augment: "Augmentation",
  classWeighting: "Class weighting",
  schedule: "LR schedule",
  warmupEpochs: "Warm-up epochs",
  ema: "Weight EMA decay",
  mixup: "Mixup α",
  cutmix: "CutMix α",
  logitAdjust: "Logit adjustment τ",
  rebalanceFrom: "Rebalance from epoch",
  classBalanceBeta: "Class-balance β",
  ttaEval: "Mirror TTA in selection",
  backend: "Backend asked for",
  maxTrainImages: "Max train images",
  predictAfter: "Predictions after the run",
  predictFolds: "Prediction folds (cross-fit)",
};

function show(key: keyof TRunConfig, run: TCompareRun): string {
  const v = run.config[key];
  if (key === "datasetId") return run.datasetName;
  if (key === "snapshotId")
    return run.snapshot
      ? `${run.snapshot.method} · ${run.snapshot.id.slice(-6)}`
      : "auto (default for the scheme)";
  if (v === undefined || v === null) return "—";
  if (key === "scheme") return `${v} (${SCHEME_PAPER_NAMES[v as TRunScheme] ?? "?"})`;
  if (key === "maxTrainImages") return v === 0 ? "all" : Number(v).toLocaleString("en");
  if (key === "patience" || key === "ema" || key === "mixup" || key === "cutmix" || key === "logitAdjust")
    return v === 0 ? "off" : String(v);
  if (key === "rebalanceFrom") {
    if (v === 1) return "1 (every epoch)";
    if (v !== 0) return String(v);
    const { epochs, classWeighting, logitAdjust } = run.config;
    if (epochs === undefined) return "auto (the last quarter)";
    const from = rebalanceFromOf({
      epochs,
      rebalanceFrom: 0,
      classWeighting: classWeighting === true,
      logitAdjust: logitAdjust ?? 0,
    });
    return from === 1 ? "auto (nothing to defer)" : `auto: ${from} (the last quarter)`;
  }
  if (key === "classBalanceBeta") return v === 1 ? "1 (inverse frequency)" : String(v);
  if (typeof v === "boolean") return v ? "on" : "off";
  return String(v);
}

export function compareRows(runs: TCompareRun[]): TConfigRow[] {
  const keys = (Object.keys(ZRunConfig.shape) as (keyof TRunConfig)[]).filter((k) => !IN_HEADER.includes(k));
  const rows: TConfigRow[] = keys.map((key) => ({
    key,
    label: LABELS[key],
    values: runs.map((r) => show(key, r)),
    differs: false,
  }));
  rows.push(
    { key: "backendUsed", label: "Backend used", values: runs.map((r) => r.backend ?? "—"), differs: false },
    {
      key: "codeVersion",
      label: "Code version",
      values: runs.map((r) => r.codeVersion ?? "—"),
      differs: false,
    },
    { key: "epochsRun", label: "Epochs run", values: runs.map((r) => String(r.epochsRun)), differs: false },
  );
  for (const row of rows) row.differs = new Set(row.values).size > 1;
  return rows;
}
