import "server-only";
import type { Split } from "@concord/db";
import { getAgreement } from "../agreement/agreement";
import { buildScatterPoints, pearson } from "../agreement/agreement-math";
import { db } from "../db";
import { getRunDetail, type TRunDetail } from "./runs";

export type TRunScatter = {
  runId: string;
  name: string;
  split: Split;
  // What x is: specific agreement per class, on the same split's images as the F1.
  agreementSource: string;
  points: { label: string; agreement: number; f1: number; support: number }[];
  pearson: number | null;
};

// The split an evaluation-based view shows: test when the run has one, else valid.
export function primaryEvaluation(run: Pick<TRunDetail, "evaluations">) {
  return (
    run.evaluations.find((e) => e.split === "TEST") ??
    run.evaluations.find((e) => e.split === "VALID") ??
    null
  );
}

export async function getRunScatter(
  run: Pick<TRunDetail, "id" | "name" | "evaluations" | "dataset">,
  split?: Split,
): Promise<TRunScatter | null> {
  const ev = split ? run.evaluations.find((e) => e.split === split) : primaryEvaluation(run);
  if (!ev) return null;
  const agreement = await getAgreement(run.dataset.id, ev.split);
  if (!agreement) return null;
  const points = buildScatterPoints({
    labels: ev.labels,
    agreement: agreement.perClass.map((c) => ({ label: c.label, value: c.specificAgreement ?? Number.NaN })),
    perClass: ev.perClass,
  });
  return {
    runId: run.id,
    name: run.name,
    split: ev.split,
    agreementSource: `crowd specific agreement, ${ev.split.toLowerCase()} split`,
    points,
    pearson: pearson(
      points.map((p) => p.agreement),
      points.map((p) => p.f1),
    ),
  };
}

// Scatter series for the finished runs on the same dataset (the selectable runs beside the current one).
export async function getDatasetScatters(
  datasetId: string,
  includeRunId?: string,
  limit = 8,
): Promise<TRunScatter[]> {
  const runs = await db().trainingRun.findMany({
    where: { datasetId, status: "SUCCEEDED", evaluations: { some: {} } },
    orderBy: { createdAt: "desc" },
    take: limit,
    select: { id: true },
  });
  const ids = [...new Set([...(includeRunId ? [includeRunId] : []), ...runs.map((r) => r.id)])];
  const out: TRunScatter[] = [];
  for (const id of ids) {
    const detail = await getRunDetail(id);
    const s = detail ? await getRunScatter(detail) : null;
    if (s) out.push(s);
  }
  return out;
}
