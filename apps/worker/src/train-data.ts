// Builds the trainer's data object from Postgres: TRAIN images with the snapshot's soft labels as targets,
// VALID/TEST images with majority labels (FER+ protocol: always the majority label, whatever the snapshot)
// and each image's twin in the TRAIN split (exact or near), for the figures without train twins.
import { aggregate, FERPLUS_LABELS, itemCounts, softLabels, trainableLabels } from "@concord/crowd";
import type { Split, TDb } from "@concord/db";
import { externalIdOrder } from "@concord/importer/image-order";
import type { TFaceHash } from "@concord/importer/twins";
import type { TRunScheme } from "@concord/jobs";
import { schemeTargets, type TImageSet, type TTrainData } from "@concord/trainer";
import { UnrecoverableError } from "bullmq";
import { loadCrowdInput } from "./crowd-input";
import { trainHashes, twinsOf } from "./train-twins";

const PIXELS = 48 * 48;

/**
 * How a run's data is built from Postgres. Each run records the version it started with
 * (TrainingRun.trainDataVersion), so that it resumes on the same data and its predictions find the faces it
 * trained on, whatever the worker's current version.
 * 1: before issue 14. Every split in image id order (random uuids); each snapshot row renormalised over the
 *    trainable classes before the scheme's target; majority's q from the crowd's vote shares over the taxonomy.
 * 2: the object concord-train builds from the same FER+ folder (issue 14, platform parity): every split in
 *    externalId order (`@concord/importer/image-order`, the folder loader's order), and schemeTargets gets the
 *    snapshot's rows and the crowd's raw counts as they are, as the folder loader hands it FER+'s processed
 *    distribution and label.csv's counts (schemeTargets normalises each row itself).
 */
export const TRAIN_DATA_VERSIONS = [1, 2] as const;
export type TTrainDataVersion = (typeof TRAIN_DATA_VERSIONS)[number];
export const TRAIN_DATA_VERSION: TTrainDataVersion = 2;

/**
 * A run's recorded version; null (a run from before versions were recorded) reads as 1. A version this worker
 * does not know (a newer worker's) is final: no attempt here can rebuild that run's data.
 */
export function trainDataVersionOf(recorded: number | null): TTrainDataVersion {
  if (recorded === null) return 1;
  const known = TRAIN_DATA_VERSIONS.find((v) => v === recorded);
  if (known === undefined)
    throw new UnrecoverableError(
      `train data version ${recorded} is unknown to this worker (it knows ${TRAIN_DATA_VERSIONS.join(", ")})`,
    );
  return known;
}

/** Item indices of a crowd input in the version's order. */
function itemOrder(externalIds: readonly string[], version: TTrainDataVersion): number[] {
  return version === 1 ? externalIds.map((_, i) => i) : externalIdOrder(externalIds);
}

export function isFerplusTaxonomy(taxonomy: readonly string[]): boolean {
  return taxonomy.length === FERPLUS_LABELS.length && taxonomy.every((l, i) => l === FERPLUS_LABELS[i]);
}

/** Snapshot method used when a run names no snapshot: the FER+ scheme of the same name, else plain MV. */
export function defaultSnapshotMethod(taxonomy: readonly string[], scheme: TRunScheme) {
  if (!isFerplusTaxonomy(taxonomy)) return "mv" as const;
  return `ferplus-${scheme}` as const;
}

export type TLoadOptions = {
  scheme: TRunScheme;
  eps: number;
  maxTrainImages: number;
  /** Default: the current TRAIN_DATA_VERSION. */
  version?: TTrainDataVersion;
};
export type TLoadedData = {
  data: TTrainData;
  counts: Record<"train" | "valid" | "test", number>;
  /** Image ids of data.train, row for row: the images a run with this data trained on. */
  trainIds: string[];
};

export async function loadPixels(db: TDb, ids: string[]): Promise<Uint8Array> {
  const out = new Uint8Array(ids.length * PIXELS);
  const pos = new Map(ids.map((id, i) => [id, i]));
  for (let k = 0; k < ids.length; k += 2000) {
    const rows = await db.image.findMany({
      where: { id: { in: ids.slice(k, k + 2000) } },
      select: { id: true, pixels: true },
    });
    for (const r of rows) {
      if (r.pixels.length !== PIXELS)
        throw new Error(`image ${r.id} has ${r.pixels.length} bytes, expected ${PIXELS}`);
      out.set(r.pixels, pos.get(r.id)! * PIXELS);
    }
  }
  return out;
}

/**
 * Images of the given splits with their majority label (FER+ rule on FER+ taxonomies, else MV), restricted
 * to `classNames`; items without a majority or with a reject-class majority are left out. Each image carries
 * its twin in the TRAIN split of `trainDatasetId` (the run's dataset), except that TRAIN split itself. Images
 * in the order of `version` (TRAIN_DATA_VERSIONS).
 */
export async function loadMajoritySplits(
  db: TDb,
  datasetId: string,
  classNames: readonly string[],
  splits: Split[],
  trainDatasetId: string,
  version: TTrainDataVersion = TRAIN_DATA_VERSION,
): Promise<Partial<Record<"train" | "valid" | "test", TImageSet>>> {
  const crowd = await loadCrowdInput(db, datasetId, splits);
  const { taxonomy } = crowd;
  const classOf = new Map(classNames.map((l, k) => [l, k]));
  const majority = aggregate(crowd.set, isFerplusTaxonomy(taxonomy) ? "ferplus-majority" : "mv").labels;
  const order = itemOrder(crowd.externalIds, version);
  const out: Partial<Record<"train" | "valid" | "test", TImageSet>> = {};
  let train: TFaceHash[] | undefined;
  for (const split of splits) {
    const ids: string[] = [];
    const labels: number[] = [];
    order.forEach((i) => {
      const id = crowd.imageIds[i]!;
      if (crowd.splits[i] !== split || majority[i]! < 0) return;
      const y = classOf.get(taxonomy[majority[i]!]!);
      if (y === undefined) return;
      ids.push(id);
      labels.push(y);
    });
    if (ids.length === 0) continue;
    const isRunTrain = split === "TRAIN" && datasetId === trainDatasetId;
    if (!isRunTrain) train ??= await trainHashes(db, trainDatasetId);
    out[split.toLowerCase() as "train" | "valid" | "test"] = {
      pixels: await loadPixels(db, ids),
      labels: Int32Array.from(labels),
      ...(isRunTrain ? {} : { trainTwins: await twinsOf(db, train!, ids) }),
    };
  }
  return out;
}

/**
 * The crowd's votes (identified votes + tallies) of `ids` over the kept taxonomy columns, N x C: version 2 the
 * counts themselves (what the folder loader hands schemeTargets: label.csv's counts of the 8 emotions), version
 * 1 the vote shares over the whole taxonomy.
 */
async function crowdVotes(
  db: TDb,
  datasetId: string,
  ids: string[],
  columns: number[],
  version: TTrainDataVersion,
): Promise<number[]> {
  const crowd = await loadCrowdInput(db, datasetId, ["TRAIN"]);
  const votes = version === 1 ? softLabels(crowd.set) : itemCounts(crowd.set);
  const K = crowd.taxonomy.length;
  const row = new Map(crowd.imageIds.map((id, i) => [id, i]));
  return ids.flatMap((id) => {
    const i = row.get(id)!;
    return columns.map((c) => votes[i * K + c]!);
  });
}

export async function loadTrainData(
  db: TDb,
  run: { datasetId: string; snapshotId: string },
  options: TLoadOptions,
): Promise<TLoadedData> {
  const dataset = await db.dataset.findUniqueOrThrow({
    where: { id: run.datasetId },
    select: { taxonomy: true },
  });
  const taxonomy = dataset.taxonomy;
  // Reject classes are never trained on: an item whose consensus is one of them is excluded.
  const trainable = new Set(trainableLabels(taxonomy));
  const keep = taxonomy.map((l, i) => [l, i] as const).filter(([l]) => trainable.has(l));
  const classNames = keep.map(([l]) => l);
  const classOf = new Map(keep.map(([l], k) => [l, k]));
  const C = classNames.length;
  if (C < 2) throw new Error(`taxonomy ${taxonomy.join(",")} leaves fewer than 2 trainable classes`);

  const version = options.version ?? TRAIN_DATA_VERSION;

  // TRAIN: soft labels of the snapshot.
  const soft = await db.softLabel.findMany({
    where: { snapshotId: run.snapshotId, label: { not: null }, image: { split: "TRAIN" } },
    select: { imageId: true, probs: true, label: true, image: { select: { externalId: true } } },
    orderBy: { imageId: "asc" },
  });
  const ids: string[] = [];
  const labels: number[] = [];
  const q: number[] = [];
  for (const k of itemOrder(
    soft.map((s) => s.image.externalId),
    version,
  )) {
    const s = soft[k]!;
    const y = classOf.get(s.label!);
    if (y === undefined) continue;
    const row = keep.map(([, i]) => s.probs[i] ?? 0);
    const mass = row.reduce((a, b) => a + b, 0);
    if (!(mass > 0)) continue;
    ids.push(s.imageId);
    labels.push(y);
    // Version 2 hands schemeTargets the row as stored, which normalises it: the folder loader's arithmetic.
    for (const x of row) q.push(version === 1 ? x / mass : x);
    if (options.maxTrainImages > 0 && ids.length >= options.maxTrainImages) break;
  }
  if (ids.length === 0) throw new Error(`snapshot ${run.snapshotId} has no labelled TRAIN images`);
  const consensus = Int32Array.from(labels);
  // One rule for every scheme (EPS_RULE): q is the snapshot's soft label, or for majority (whose own
  // distribution is one-hot) the crowd's vote shares, read only when eps gives them weight.
  const crowd =
    options.scheme === "majority" && options.eps > 0
      ? await crowdVotes(
          db,
          run.datasetId,
          ids,
          keep.map(([, i]) => i),
          version,
        )
      : null;
  const targets = schemeTargets({
    scheme: options.scheme,
    eps: options.eps,
    numClasses: C,
    consensus,
    dist: q,
    crowd,
  });

  // VALID / TEST: majority labels recomputed from the raw votes + tallies.
  const { valid, test } = await loadMajoritySplits(
    db,
    run.datasetId,
    classNames,
    ["VALID", "TEST"],
    run.datasetId,
    version,
  );
  return {
    data: {
      classNames,
      train: { pixels: await loadPixels(db, ids), labels: consensus, targets },
      ...(valid ? { valid } : {}),
      ...(test ? { test } : {}),
    },
    counts: { train: ids.length, valid: valid?.labels.length ?? 0, test: test?.labels.length ?? 0 },
    trainIds: ids,
  };
}
