// snapshot-labels: aggregate a dataset's votes + imported tallies into a LabelSnapshot + SoftLabel rows.
import { createHash } from "node:crypto";
import { aggregate, smoothTargets, softLabels, type TAggregateOptions } from "@concord/crowd";
import type { TDb } from "@concord/db";
import type { TJobPayload, TSnapshotLabelsProgress, TSnapshotLabelsResult } from "@concord/jobs";
import { UnrecoverableError } from "bullmq";
import { z } from "zod";
import { loadCrowdInput } from "../crowd-input";

/** Parameters the worker understands; unknown keys are kept in LabelSnapshot.params but ignored. */
const ZSnapshotParams = z
  .object({
    eps: z.number().min(0).max(1).default(0),
    q: z.enum(["crowd", "posterior", "uniform"]).default("crowd"),
    maxIterations: z.number().int().min(1).max(10_000).optional(),
    tolerance: z.number().positive().optional(),
    smoothing: z.number().min(0).optional(),
    seed: z.number().int().min(0).optional(),
    tieBreak: z.enum(["lowest", "random"]).optional(),
    goldMode: z.enum(["init", "clamp"]).optional(),
  })
  .loose();

const CHUNK = 5000;

export async function snapshotLabels(
  db: TDb,
  payload: TJobPayload<"snapshot-labels">,
  onProgress: (p: TSnapshotLabelsProgress) => Promise<void> | void = () => {},
): Promise<TSnapshotLabelsResult> {
  const params = ZSnapshotParams.parse(payload.params);
  await onProgress({ stage: "loading", items: 0 });
  // Training input: images excluded by review are left out (the evaluation splits' majority labels in
  // train-data.ts keep them: excluding a face from training does not change the test protocol).
  const input = await loadCrowdInput(db, payload.datasetId, undefined, { skipReviewExcluded: true });
  const { set, taxonomy, imageIds, voteCounts } = input;
  const C = taxonomy.length;
  const contentHash = createHash("sha256")
    .update(JSON.stringify({ method: payload.method, params: payload.params }))
    .update(input.dataHash)
    .digest("hex");
  const existing = await db.labelSnapshot.findUnique({
    where: { datasetId_contentHash: { datasetId: payload.datasetId, contentHash } },
    select: { id: true, _count: { select: { labels: true } } },
  });
  if (existing) return { snapshotId: existing.id, created: false, items: existing._count.labels };

  if (!voteCounts.some((n) => n > 0)) {
    throw new UnrecoverableError(
      `dataset ${payload.datasetId} has no votes or imported tallies to aggregate`,
    );
  }
  await onProgress({ stage: "aggregating", items: imageIds.length });
  const hasGold = input.gold.some((g) => g >= 0);
  const options: TAggregateOptions = {
    maxIterations: params.maxIterations,
    tolerance: params.tolerance,
    smoothing: params.smoothing,
    seed: params.seed,
    tieBreak: params.tieBreak,
    ...(hasGold ? { gold: input.gold, goldMode: params.goldMode } : {}),
  };
  const result = aggregate(set, payload.method, options);
  const crowd = softLabels(set);
  const q = params.q === "uniform" ? "uniform" : params.q === "posterior" ? result.posteriors : crowd;
  const targets =
    params.eps > 0
      ? smoothTargets({ consensus: result.labels, numClasses: C, eps: params.eps, q })
      : result.posteriors;

  const rows: { imageId: string; probs: number[]; label: string | null; votes: number }[] = [];
  const distribution: Record<string, number> = {};
  let excluded = 0;
  for (let i = 0; i < imageIds.length; i++) {
    if (voteCounts[i] === 0) continue;
    const y = result.labels[i]!;
    // Excluded items keep the raw crowd distribution (for display) and no consensus label.
    const source = y >= 0 ? targets : crowd;
    const probs = Array.from(source.subarray(i * C, (i + 1) * C) as ArrayLike<number>, (x) => Number(x));
    const label = y >= 0 ? (taxonomy[y] ?? null) : null;
    if (label) distribution[label] = (distribution[label] ?? 0) + 1;
    else excluded++;
    rows.push({ imageId: imageIds[i]!, probs, label, votes: voteCounts[i]! });
  }
  const workerSkill: Record<string, number> = {};
  const skill = result.workerSkill;
  if (skill) {
    input.workerIds.forEach((id, w) => {
      workerSkill[id] = skill[w]!;
    });
  }
  // Dawid-Skene's per-annotator confusion matrices ([true][observed], rows sum to 1) for the agreement dashboard.
  const workerConfusion: Record<string, number[][]> = {};
  const confusion = result.workerConfusion;
  if (confusion) {
    input.workerIds.forEach((id, w) => {
      workerConfusion[id] = Array.from({ length: C }, (_, t) =>
        Array.from(confusion.subarray((w * C + t) * C, (w * C + t + 1) * C), (x) => Number(x)),
      );
    });
  }
  const stats = {
    items: rows.length,
    labelled: rows.length - excluded,
    excluded,
    numVotes: set.numVotes,
    numWorkers: input.workerIds.length,
    tallyItems: set.tallies ? rows.length : 0,
    droppedVotes: input.droppedVotes,
    distribution,
    iterations: result.iterations,
    converged: result.converged,
    // "tolerance" / "max-iterations" for the iterative (EM) methods, null for closed-form ones (mv, FER+).
    stopReason: result.stopReason,
    logLikelihood: result.logLikelihood,
    workerSkill,
    workerConfusion,
    anonymousSkill: result.anonymous?.skill ?? null,
    // Annotators an admin excluded, with the votes of theirs this snapshot left out.
    excludedAnnotators: input.excludedAnnotators,
  };

  await onProgress({ stage: "writing", items: rows.length });
  try {
    const snapshotId = await db.$transaction(
      async (tx) => {
        const snap = await tx.labelSnapshot.create({
          data: {
            datasetId: payload.datasetId,
            method: payload.method,
            params: payload.params as object,
            contentHash,
            stats,
            createdById: payload.createdById ?? null,
          },
        });
        for (let k = 0; k < rows.length; k += CHUNK) {
          await tx.softLabel.createMany({
            data: rows.slice(k, k + CHUNK).map((r) => ({ ...r, snapshotId: snap.id })),
          });
        }
        return snap.id;
      },
      { timeout: 120_000 },
    );
    await onProgress({ stage: "done", items: rows.length });
    return { snapshotId, created: true, items: rows.length };
  } catch (error) {
    // Two identical requests raced: the other one wrote the same snapshot; use it.
    if ((error as { code?: string }).code !== "P2002") throw error;
    const snap = await db.labelSnapshot.findUniqueOrThrow({
      where: { datasetId_contentHash: { datasetId: payload.datasetId, contentHash } },
    });
    return { snapshotId: snap.id, created: false, items: rows.length };
  }
}
