import "server-only";
import type { RunStatus } from "@concord/db";
import { describeEta, formatDuration, trainingEta } from "@/lib/eta";
import { db } from "../db";
import { jobs } from "../queue";
import { runLabel } from "../runs/runs";

// One list of the background work admins start: label snapshots, training runs and prediction sets, from
// Postgres (each request is a row from the moment it is queued), newest first with queued and running work
// on top.

export const JOB_STATUSES = ["QUEUED", "RUNNING", "FAILED", "SUCCEEDED", "CANCELLED"] as const;
export type TJobStatusFilter = (typeof JOB_STATUSES)[number] | "ALL";
export type TJobKind = "snapshot" | "run" | "prediction";

export type TJobRow = {
  kind: TJobKind;
  id: string;
  title: string;
  href: string | null;
  datasetName: string;
  status: RunStatus;
  /** Where it is: "epoch 3 / 30 · batch 5/20", "aggregating 1,800 images", "reused snapshot …". */
  detail: string;
  /** Training only: time left from the epoch times. */
  eta: string | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  createdBy: string | null;
  /** POST here to retry (failed or cancelled work); null when it cannot be retried. */
  retryUrl: string | null;
  /** What the retry button says: snapshots and runs start again, prediction sets resume from their rows. */
  retryLabel: string;
};

export type TJobsOverview = {
  rows: TJobRow[];
  /** Rows per status over both kinds (the filter tabs). */
  counts: Record<(typeof JOB_STATUSES)[number], number>;
  /** Queued or running rows exist: the page keeps polling. */
  isActive: boolean;
  /** What Redis holds per queue, or why it could not be read. */
  queues: { name: string; waiting: number; active: number; failed: number }[] | { error: string };
};

const LIVE: RunStatus[] = ["QUEUED", "RUNNING"];
const isLive = (s: RunStatus) => LIVE.includes(s);
const RETRYABLE: RunStatus[] = ["FAILED", "CANCELLED"];
const iso = (d: Date | null) => d?.toISOString() ?? null;

function record(x: unknown): Record<string, unknown> {
  return x && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}
const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);

type TLifecycle = Pick<
  TJobRow,
  | "datasetName"
  | "status"
  | "error"
  | "attempts"
  | "createdAt"
  | "startedAt"
  | "finishedAt"
  | "createdBy"
  | "retryUrl"
  | "retryLabel"
>;

// The columns every kind of job shares (they have the same status lifecycle).
function lifecycle(
  r: {
    dataset: { name: string };
    status: RunStatus;
    error: string | null;
    attempts: number;
    createdAt: Date;
    startedAt: Date | null;
    finishedAt: Date | null;
    createdBy: { name: string } | null;
  },
  retryUrl: string,
  retryLabel = "Retry",
): TLifecycle {
  return {
    datasetName: r.dataset.name,
    status: r.status,
    error: r.error,
    attempts: r.attempts,
    createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    createdBy: r.createdBy?.name ?? null,
    retryUrl: RETRYABLE.includes(r.status) ? retryUrl : null,
    retryLabel,
  };
}

// The newest rows of one status (or all), and the names every row shows.
const newest = (status: TJobStatusFilter, take: number) => ({
  where: status === "ALL" ? {} : { status },
  orderBy: { createdAt: "desc" as const },
  take,
});
const OWNERS = { dataset: { select: { name: true } }, createdBy: { select: { name: true } } } as const;

async function snapshotRows(status: TJobStatusFilter, take: number): Promise<TJobRow[]> {
  const rows = await db().snapshotJob.findMany({
    ...newest(status, take),
    include: OWNERS,
  });
  return rows.map((r) => {
    const p = record(r.progress);
    const items = num(p.items);
    const detail =
      r.status === "SUCCEEDED"
        ? r.reused
          ? "same votes and parameters as an earlier snapshot: reused it"
          : "snapshot written"
        : r.status === "RUNNING" && typeof p.stage === "string"
          ? `${p.stage}${items ? ` ${items.toLocaleString("en")} images` : ""}`
          : r.status === "QUEUED"
            ? r.attempts > 0
              ? `waiting to retry (attempt ${r.attempts + 1})`
              : "waiting for a worker (queue: labels)"
            : "";
    return {
      kind: "snapshot" as const,
      id: r.id,
      title: `${r.method} snapshot`,
      href: r.snapshotId ? `/admin/snapshots/${r.snapshotId}` : null,
      detail,
      eta: null,
      ...lifecycle(r, `/api/snapshot-jobs/${r.id}/retry`),
    };
  });
}

async function runRows(status: TJobStatusFilter, take: number): Promise<TJobRow[]> {
  const rows = await db().trainingRun.findMany({
    ...newest(status, take),
    include: {
      ...OWNERS,
      epochs: { select: { durationMs: true }, orderBy: { epoch: "asc" } },
    },
  });
  return rows.map((r) => {
    const config = record(r.config);
    const epochs = num(config.epochs) ?? 0;
    const p = record(r.progress);
    const batch = num(p.batch);
    const batches = num(p.batches);
    const running = r.status === "RUNNING";
    const where = [
      `epoch ${r.currentEpoch} / ${epochs}`,
      running && typeof p.phase === "string" ? p.phase : null,
      running && batch !== null && batches ? `batch ${batch}/${batches}` : null,
      r.backend,
    ]
      .filter(Boolean)
      .join(" · ");
    const eta = isLive(r.status)
      ? describeEta(
          trainingEta({
            epochs,
            currentEpoch: r.currentEpoch,
            epochDurationsMs: r.epochs.map((e) => e.durationMs),
            batch: running ? batch : null,
            batches: running ? batches : null,
            patience: num(config.patience) ?? 0,
          }),
        )
      : null;
    return {
      kind: "run" as const,
      id: r.id,
      title: runLabel(r),
      href: `/admin/runs/${r.id}`,
      detail: r.status === "QUEUED" && r.currentEpoch === 0 ? "waiting for a worker" : where,
      eta: r.status === "QUEUED" && r.currentEpoch === 0 ? null : eta,
      ...lifecycle(r, `/api/runs/${r.id}/retry`),
    };
  });
}

// Prediction sets (issue 12): progress { phase, fold, folds, done, total, epoch?, epochs?, imagesPerSec? }.
async function predictionRows(status: TJobStatusFilter, take: number): Promise<TJobRow[]> {
  const rows = await db().predictionSet.findMany({
    ...newest(status, take),
    include: {
      ...OWNERS,
      run: { select: { id: true, name: true } },
    },
  });
  return rows.map((r) => {
    const p = record(r.progress);
    const done = num(p.done);
    const total = num(p.total);
    const fold = num(p.fold);
    const epoch = num(p.epoch);
    const epochs = num(p.epochs);
    const rate = num(p.imagesPerSec);
    const where = [
      typeof p.phase === "string" ? p.phase : null,
      r.folds > 1 && fold ? `fold ${fold} / ${r.folds}` : null,
      epoch !== null && epochs ? `epoch ${epoch} / ${epochs}` : null,
      done !== null && total ? `${done.toLocaleString("en")} / ${total.toLocaleString("en")} images` : null,
    ]
      .filter(Boolean)
      .join(" · ");
    const left =
      p.phase === "predicting" && rate && total !== null && done !== null ? (total - done) / rate : null;
    return {
      kind: "prediction" as const,
      id: r.id,
      title: `${r.scheme} predictions of ${runLabel(r.run)}`,
      href: `/admin/runs/${r.run.id}`,
      detail:
        r.status === "SUCCEEDED"
          ? `${r.predicted.toLocaleString("en")} images predicted`
          : r.status === "QUEUED" && !where
            ? "waiting for a worker"
            : where,
      eta:
        r.status === "RUNNING" && left !== null ? `~${formatDuration(left * 1000)} of predicting left` : null,
      ...lifecycle(r, `/api/predictions/${r.id}/resume`, "Resume"),
    };
  });
}

async function queueCounts(): Promise<TJobsOverview["queues"]> {
  try {
    const counts = await jobs().counts();
    return Object.entries(counts).map(([name, c]) => ({
      name,
      waiting: c.waiting + c.delayed,
      active: c.active,
      failed: c.failed,
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export async function listJobs(status: TJobStatusFilter = "ALL", take = 100): Promise<TJobsOverview> {
  const [snapshots, runs, predictions, snapCounts, runCounts, predictionCounts, queues] = await Promise.all([
    snapshotRows(status, take),
    runRows(status, take),
    predictionRows(status, take),
    db().snapshotJob.groupBy({ by: ["status"], _count: { _all: true } }),
    db().trainingRun.groupBy({ by: ["status"], _count: { _all: true } }),
    db().predictionSet.groupBy({ by: ["status"], _count: { _all: true } }),
    queueCounts(),
  ]);
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as TJobsOverview["counts"];
  for (const c of [...snapCounts, ...runCounts, ...predictionCounts]) counts[c.status] += c._count._all;
  const order = (r: TJobRow) => (r.status === "RUNNING" ? 0 : r.status === "QUEUED" ? 1 : 2);
  const rows = [...snapshots, ...runs, ...predictions]
    .sort((a, b) => order(a) - order(b) || b.createdAt.localeCompare(a.createdAt))
    .slice(0, take);
  return { rows, counts, isActive: counts.QUEUED + counts.RUNNING > 0, queues };
}
