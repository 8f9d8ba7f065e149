import "server-only";
import { db } from "../db";
import { loadCrowdCounts, type TCrowdCounts } from "./crowd-counts";
import { latestPredictions, type TLatestPrediction } from "./predictions";

export type THistoryAction = {
  id: string;
  kind: "MORE_VOTES" | "ACCEPT" | "EXCLUDE";
  votes: number | null;
  target: number | null;
  label: string | null;
  createdBy: string | null;
  createdAt: string;
  revokedBy: string | null;
  revokedAt: string | null;
};

export type TImageHistory = TCrowdCounts & {
  datasetName: string;
  // Identified votes and imported tally votes per class (counts = their sum).
  web: number[];
  imported: number[];
  done: boolean;
  prediction: TLatestPrediction | null;
  excluded: boolean;
  accepted: boolean;
  actions: THistoryAction[];
};

// Everything the image page shows: the crowd's votes per class, the model's latest out-of-sample prediction,
// whether the assignment still serves it, and every review action with who and when (newest first).
export async function getImageHistory(imageId: string): Promise<TImageHistory | null> {
  const [counts] = await loadCrowdCounts({ imageIds: [imageId] });
  if (!counts) return null;
  const [image, predictions] = await Promise.all([
    db().image.findUniqueOrThrow({
      where: { id: imageId },
      select: {
        dataset: { select: { name: true } },
        tally: { select: { counts: true, done: true } },
        tallies: { select: { counts: true } },
        actions: {
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
          include: { createdBy: { select: { name: true } }, revokedBy: { select: { name: true } } },
        },
      },
    }),
    latestPredictions({ imageIds: [imageId] }),
  ]);
  const webCounts = (image.tally?.counts ?? {}) as Record<string, number>;
  const web = counts.taxonomy.map((label) => webCounts[label] ?? 0);
  const imported = counts.taxonomy.map((_, c) => image.tallies.reduce((s, t) => s + (t.counts[c] ?? 0), 0));
  const actions = image.actions.map((a) => ({
    id: a.id,
    kind: a.kind,
    votes: a.votes,
    target: a.target,
    label: a.label,
    createdBy: a.createdBy?.name ?? null,
    createdAt: a.createdAt.toISOString(),
    revokedBy: a.revokedBy?.name ?? null,
    revokedAt: a.revokedAt?.toISOString() ?? null,
  }));
  const isActive = (kind: THistoryAction["kind"]) => actions.some((a) => a.kind === kind && !a.revokedAt);
  return {
    ...counts,
    datasetName: image.dataset.name,
    web,
    imported,
    done: image.tally?.done ?? false,
    prediction: predictions.get(imageId) ?? null,
    excluded: isActive("EXCLUDE"),
    accepted: isActive("ACCEPT"),
    actions,
  };
}
