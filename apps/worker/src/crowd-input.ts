// Votes + imported tallies of a dataset, as @concord/crowd's sparse vote set. Items are the dataset's images
// in id order; annotators get dense integer ids. Shared by the snapshot job and the training data loader.
import { createHash } from "node:crypto";
import { buildVoteSet, type TVoteSet } from "@concord/crowd";
import type { Split, TDb } from "@concord/db";
import { loadExclusions, type TExcludedAnnotator } from "./exclusions";

export type TCrowdInput = {
  taxonomy: string[];
  imageIds: string[];
  /** Per item: the image's externalId (its file name for FER+ imports), the trainer's order (train-data.ts). */
  externalIds: string[];
  splits: Split[];
  set: TVoteSet;
  /** Per item: identified votes + tally counts. */
  voteCounts: Int32Array;
  workerIds: string[];
  /** Gold label per item (-1 = none). */
  gold: Int32Array;
  /** Votes whose label is not in the taxonomy (counted, never used). */
  droppedVotes: number;
  /** sha256 over taxonomy, votes, tallies and gold: the same crowd data hashes the same. */
  dataHash: string;
  /** Annotators whose votes were left out (an admin excluded them) and how many votes that was. */
  excludedAnnotators: TExcludedAnnotator[];
};

export type TCrowdInputOptions = {
  /** Leave out the images an admin excluded from training (an active EXCLUDE review action, issue 12). */
  skipReviewExcluded?: boolean;
};

// Review exclusions (issue 12): an image with an unrevoked EXCLUDE action is not an item at all, so its votes
// are neither aggregated nor hashed; revoking the action brings the same data (and snapshot) back.
const NOT_REVIEW_EXCLUDED = { actions: { none: { kind: "EXCLUDE", revokedAt: null } } } as const;

export async function loadCrowdInput(
  db: TDb,
  datasetId: string,
  splits?: Split[],
  options: TCrowdInputOptions = {},
): Promise<TCrowdInput> {
  const dataset = await db.dataset.findUnique({ where: { id: datasetId }, select: { taxonomy: true } });
  if (!dataset) throw new Error(`dataset ${datasetId} not found`);
  const taxonomy = dataset.taxonomy;
  const C = taxonomy.length;
  const imageWhere = {
    datasetId,
    ...(splits ? { split: { in: splits } } : {}),
    ...(options.skipReviewExcluded ? NOT_REVIEW_EXCLUDED : {}),
  };
  const images = await db.image.findMany({
    where: imageWhere,
    select: { id: true, split: true, externalId: true },
    orderBy: { id: "asc" },
  });
  const index = new Map(images.map((im, i) => [im.id, i]));
  const excludedAnnotators = await loadExclusions(db, imageWhere);
  const [votes, tallies, golds] = await Promise.all([
    db.vote.findMany({
      where: { image: imageWhere, annotatorId: { notIn: excludedAnnotators.map((x) => x.annotatorId) } },
      select: { imageId: true, annotatorId: true, label: true },
      orderBy: [{ imageId: "asc" }, { annotatorId: "asc" }],
    }),
    db.importedTally.findMany({
      where: { image: imageWhere },
      select: { imageId: true, source: true, counts: true },
      orderBy: [{ imageId: "asc" }, { source: "asc" }],
    }),
    db.goldLabel.findMany({ where: { image: imageWhere }, select: { imageId: true, label: true } }),
  ]);

  const hash = createHash("sha256").update(JSON.stringify(taxonomy));
  const labelIndex = new Map(taxonomy.map((l, i) => [l, i]));
  const workerIndex = new Map<string, number>();
  const item: number[] = [];
  const worker: number[] = [];
  const label: number[] = [];
  const voteCounts = new Int32Array(images.length);
  let droppedVotes = 0;
  for (const v of votes) {
    const i = index.get(v.imageId);
    const l = labelIndex.get(v.label);
    if (i === undefined) continue;
    if (l === undefined) {
      droppedVotes++;
      continue;
    }
    let w = workerIndex.get(v.annotatorId);
    if (w === undefined) {
      w = workerIndex.size;
      workerIndex.set(v.annotatorId, w);
    }
    item.push(i);
    worker.push(w);
    label.push(l);
    voteCounts[i]! += 1;
    hash.update(`v|${v.imageId}|${v.annotatorId}|${l}\n`);
  }
  const dense = new Float64Array(images.length * C);
  for (const t of tallies) {
    const i = index.get(t.imageId);
    if (i === undefined) continue;
    if (t.counts.length !== C)
      throw new Error(`tally of image ${t.imageId} has ${t.counts.length} counts, taxonomy ${C}`);
    for (let c = 0; c < C; c++) {
      dense[i * C + c]! += t.counts[c]!;
      voteCounts[i]! += t.counts[c]!;
    }
    hash.update(`t|${t.imageId}|${t.source}|${t.counts.join(",")}\n`);
  }
  const gold = new Int32Array(images.length).fill(-1);
  for (const g of [...golds].sort((a, b) => (a.imageId < b.imageId ? -1 : 1))) {
    const i = index.get(g.imageId);
    const l = labelIndex.get(g.label);
    if (i === undefined || l === undefined) continue;
    gold[i] = l;
    hash.update(`g|${g.imageId}|${l}\n`);
  }
  const set = buildVoteSet({
    numClasses: C,
    numItems: images.length,
    numWorkers: Math.max(1, workerIndex.size),
    votes: { item, worker, label },
    tallies: tallies.length > 0 ? dense : undefined,
  });
  return {
    taxonomy,
    imageIds: images.map((im) => im.id),
    externalIds: images.map((im) => im.externalId),
    splits: images.map((im) => im.split),
    set,
    voteCounts,
    workerIds: [...workerIndex.keys()],
    gold,
    droppedVotes,
    dataHash: hash.digest("hex"),
    excludedAnnotators,
  };
}
