import "server-only";
import { db } from "../db";
import { fieldError, HttpError } from "../http";
import { enqueueSnapshotJob } from "../queue";
import { query } from "../sql";
import { type TSnapshotForm, ZSnapshotForm } from "./snapshot-form";

export type TSnapshotListItem = {
  id: string;
  datasetId: string;
  datasetName: string;
  method: string;
  params: Record<string, unknown>;
  createdAt: string;
  createdBy: string | null;
  items: number;
  labelled: number;
  runs: number;
  stats: Record<string, unknown>;
};

function asRecord(x: unknown): Record<string, unknown> {
  return x && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}

export async function listSnapshots(datasetId?: string): Promise<TSnapshotListItem[]> {
  const snaps = await db().labelSnapshot.findMany({
    where: datasetId ? { datasetId } : {},
    orderBy: { createdAt: "desc" },
    take: 100,
    include: {
      dataset: { select: { name: true } },
      createdBy: { select: { name: true } },
      _count: { select: { labels: true, runs: true } },
    },
  });
  const labelled = await db().softLabel.groupBy({
    by: ["snapshotId"],
    where: { snapshotId: { in: snaps.map((s) => s.id) }, label: { not: null } },
    _count: { _all: true },
  });
  return snaps.map((s) => ({
    id: s.id,
    datasetId: s.datasetId,
    datasetName: s.dataset.name,
    method: s.method,
    params: asRecord(s.params),
    createdAt: s.createdAt.toISOString(),
    createdBy: s.createdBy?.name ?? null,
    items: s._count.labels,
    labelled: labelled.find((l) => l.snapshotId === s.id)?._count._all ?? 0,
    runs: s._count.runs,
    stats: asRecord(s.stats),
  }));
}

export type TSnapshotDetail = {
  id: string;
  datasetId: string;
  datasetName: string;
  taxonomy: string[];
  method: string;
  params: Record<string, unknown>;
  contentHash: string;
  createdAt: string;
  stats: Record<string, unknown>;
  // Consensus label counts per split (null label = excluded, e.g. FER+ unknown / not-a-face).
  distribution: { split: string; label: string; count: number }[];
  // Mean of the soft-label vectors per split: the "soft" distribution a model trained on it sees.
  softMass: { split: string; label: string; mass: number }[];
  runs: { id: string; name: string; status: string }[];
  // Per-annotator skill from the aggregation model (stats.workerSkill), with names resolved.
  workerSkills: { id: string; name: string; skill: number }[];
  // Annotators whose votes this snapshot left out (stats.excludedAnnotators), with names.
  excludedAnnotators: { annotatorId: string; name: string; votes: number }[];
};

// Consensus label counts per split. $1 snapshot.
const DISTRIBUTION = {
  name: "snapshots.distribution",
  text: `SELECT i.split::text AS split, l.label, count(*)::int AS count
       FROM "SoftLabel" l JOIN "Image" i ON i.id = l."imageId"
      WHERE l."snapshotId" = $1
      GROUP BY 1, 2`,
};

// Mean soft-label probability per split and label (idx is 1-based, in taxonomy order). $1 snapshot.
const SOFT_MASS = {
  name: "snapshots.softMass",
  text: `SELECT i.split::text AS split, p.idx::int AS idx, avg(p.v)::float8 AS mass
       FROM "SoftLabel" l JOIN "Image" i ON i.id = l."imageId",
            unnest(l.probs) WITH ORDINALITY AS p(v, idx)
      WHERE l."snapshotId" = $1
      GROUP BY 1, 2`,
};

export async function getSnapshotDetail(id: string): Promise<TSnapshotDetail | null> {
  const s = await db().labelSnapshot.findUnique({
    where: { id },
    include: {
      dataset: { select: { name: true, taxonomy: true } },
      runs: { select: { id: true, name: true, status: true }, orderBy: { createdAt: "desc" }, take: 20 },
    },
  });
  if (!s) return null;
  const dist = await query<{ split: string; label: string | null; count: number }>(DISTRIBUTION, [id]);
  const mass = await query<{ split: string; idx: number; mass: number }>(SOFT_MASS, [id]);
  const taxonomy = s.dataset.taxonomy;
  const skill = asRecord(asRecord(s.stats).workerSkill);
  const skillIds = Object.keys(skill).filter((k) => typeof skill[k] === "number");
  const excluded = (
    Array.isArray(asRecord(s.stats).excludedAnnotators)
      ? (asRecord(s.stats).excludedAnnotators as unknown[])
      : []
  ).map(asRecord);
  const excludedIds = excluded.map((x) => String(x.annotatorId ?? ""));
  const users = await db().user.findMany({
    where: { id: { in: [...skillIds, ...excludedIds] } },
    select: { id: true, name: true },
  });
  const nameOf = new Map(users.map((u) => [u.id, u.name]));
  return {
    id: s.id,
    datasetId: s.datasetId,
    datasetName: s.dataset.name,
    taxonomy,
    method: s.method,
    params: asRecord(s.params),
    contentHash: s.contentHash,
    createdAt: s.createdAt.toISOString(),
    stats: asRecord(s.stats),
    distribution: dist.map((d) => ({ split: d.split, label: d.label ?? "(excluded)", count: d.count })),
    softMass: mass.map((m) => ({ split: m.split, label: taxonomy[m.idx - 1] ?? `#${m.idx}`, mass: m.mass })),
    runs: s.runs.map((r) => ({ id: r.id, name: r.name || `run ${r.id.slice(-6)}`, status: r.status })),
    workerSkills: skillIds
      .map((id) => ({ id, name: nameOf.get(id) ?? id.slice(-6), skill: skill[id] as number }))
      .sort((a, b) => b.skill - a.skill),
    excludedAnnotators: excluded.map((x) => {
      const annotatorId = String(x.annotatorId ?? "");
      return {
        annotatorId,
        name: nameOf.get(annotatorId) ?? annotatorId.slice(-6),
        votes: typeof x.votes === "number" ? x.votes : 0,
      };
    }),
  };
}

// A snapshot request is a SnapshotJob row (QUEUED) first, then a job: the jobs page lists it from Postgres.
// When the queue refuses (Redis down) the row is deleted again, so no orphan stays queued.
export async function createSnapshot(
  form: TSnapshotForm,
  userId: string,
): Promise<{ id: string; jobId: string }> {
  const dataset = await db().dataset.findUnique({ where: { id: form.datasetId }, select: { id: true } });
  if (!dataset) throw fieldError("datasetId", "no such dataset");
  const { datasetId, method, ...params } = form;
  return requestSnapshot({ datasetId, method, params }, userId);
}

async function requestSnapshot(
  request: { datasetId: string; method: TSnapshotForm["method"]; params: Record<string, unknown> },
  userId: string,
): Promise<{ id: string; jobId: string }> {
  const row = await db().snapshotJob.create({
    data: { ...request, params: request.params as object, createdById: userId },
  });
  try {
    const jobId = await enqueueSnapshotJob({ ...request, createdById: userId, snapshotJobId: row.id });
    await db().snapshotJob.update({ where: { id: row.id }, data: { jobId } });
    return { id: row.id, jobId };
  } catch (error) {
    await db()
      .snapshotJob.delete({ where: { id: row.id } })
      .catch(() => {});
    throw error;
  }
}

// Retry = a new request with the same dataset, method and parameters (the failed one stays as history).
export async function retrySnapshotJob(id: string, userId: string): Promise<{ id: string; jobId: string }> {
  const row = await db().snapshotJob.findUnique({ where: { id } });
  if (!row) throw new HttpError(404, "No such snapshot job");
  if (row.status !== "FAILED" && row.status !== "CANCELLED")
    throw new HttpError(
      409,
      `Only a failed or cancelled snapshot job can be retried (this one is ${row.status.toLowerCase()})`,
    );
  const method = ZSnapshotForm.shape.method.safeParse(row.method);
  if (!method.success)
    throw new HttpError(409, `Unknown aggregation method ${row.method}; request a new snapshot`);
  return requestSnapshot(
    { datasetId: row.datasetId, method: method.data, params: asRecord(row.params) },
    userId,
  );
}

export type TSnapshotRequest = {
  id: string;
  method: string;
  status: string;
  stage: string | null;
  error: string | null;
  snapshotId: string | null;
  reused: boolean;
  createdAt: string;
  createdBy: string | null;
};

// The dataset's snapshot requests not yet done, and the latest few done: the rows above its snapshot list.
export async function listSnapshotRequests(datasetId: string): Promise<TSnapshotRequest[]> {
  const rows = await db().snapshotJob.findMany({
    where: { datasetId },
    orderBy: { createdAt: "desc" },
    take: 10,
    include: { createdBy: { select: { name: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    method: r.method,
    status: r.status,
    stage: typeof asRecord(r.progress).stage === "string" ? String(asRecord(r.progress).stage) : null,
    error: r.error,
    snapshotId: r.snapshotId,
    reused: r.reused,
    createdAt: r.createdAt.toISOString(),
    createdBy: r.createdBy?.name ?? null,
  }));
}
