// Which evaluation faces have a twin in a run's train split: the images' stored hashes (the importer computed
// them from the same pixels) through the leak guard's own rule, so "without train twins" leaves out exactly
// the faces DuplicatePair pairs with a TRAIN face, and works across datasets too (the evaluate job).
import type { TDb } from "@concord/db";
import { findTrainTwins, type TFaceHash, type TTwinKind } from "@concord/importer/twins";

/** sha256 + perceptual hash of every TRAIN image of a dataset, labelled or not, trained on or not. */
export async function trainHashes(db: TDb, datasetId: string): Promise<TFaceHash[]> {
  return db.image.findMany({
    where: { datasetId, split: "TRAIN" },
    select: { sha256: true, phash: true },
  });
}

/** Each image's twin among `train` ("EXACT", "NEAR" or null), in the order of `ids`. */
export async function twinsOf(
  db: TDb,
  train: readonly TFaceHash[],
  ids: string[],
): Promise<(TTwinKind | null)[]> {
  const byId = new Map<string, TFaceHash>();
  for (let k = 0; k < ids.length; k += 5000) {
    const rows = await db.image.findMany({
      where: { id: { in: ids.slice(k, k + 5000) } },
      select: { id: true, sha256: true, phash: true },
    });
    for (const r of rows) byId.set(r.id, r);
  }
  const faces = ids.map((id) => {
    const h = byId.get(id);
    if (!h) throw new Error(`image ${id} disappeared while its evaluation was loading`);
    return h;
  });
  return findTrainTwins(train, faces);
}
