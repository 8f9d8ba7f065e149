// The data side of a predict job: which images a set still lacks, their pixels, and the rows it stores
// (one per image, probabilities in the dataset's taxonomy order).
import type { Prisma, TDb } from "@concord/db";
import { predictCrowdProbabilities, type TEvaluateOptions } from "@concord/trainer";
import { loadPixels } from "./train-data";

const PIXELS = 48 * 48;
type TModel = Parameters<typeof predictCrowdProbabilities>[0];
/** Images read, predicted and written per round: bounded memory, and a stop point between rounds. */
export const PREDICT_CHUNK = 2048;
/** Inference batch (measured with npm run bench:predict -w @concord/trainer, see its README). */
export const PREDICT_BATCH = 256;

export type TPredictTarget = { imageId: string; outOfSample: boolean; fold: number | null };

/** Every image of the dataset (every split, voted on or not), by id, and which of them already have a row. */
export async function listImages(db: TDb, datasetId: string, setId: string) {
  const images = await db.image.findMany({
    where: { datasetId },
    select: { id: true, split: true },
    orderBy: { id: "asc" },
  });
  const stored = await db.prediction.findMany({ where: { setId }, select: { imageId: true } });
  return { images, done: new Set(stored.map((r) => r.imageId)) };
}

/**
 * Maps the model's outputs (its classNames) onto the dataset's taxonomy: labels the model does not predict
 * (FER+ unknown, not-a-face) get probability 0, so a row has one value per taxonomy label.
 */
export function taxonomyIndex(taxonomy: readonly string[], classNames: readonly string[]): number[] {
  return classNames.map((name) => {
    const i = taxonomy.indexOf(name);
    if (i < 0)
      throw new Error(`model class "${name}" is not in the dataset's taxonomy (${taxonomy.join(", ")})`);
    return i;
  });
}

export function toRows(
  setId: string,
  targets: readonly TPredictTarget[],
  probs: Float32Array,
  index: readonly number[],
  taxonomySize: number,
): Prisma.PredictionCreateManyInput[] {
  const C = index.length;
  return targets.map((t, k) => {
    const row = new Array<number>(taxonomySize).fill(0);
    for (let c = 0; c < C; c++) row[index[c] as number] = probs[k * C + c] as number;
    return { setId, imageId: t.imageId, probs: row, outOfSample: t.outOfSample, fold: t.fold };
  });
}

export type TPredictRound = { done: number; seconds: number };

/**
 * Predicts `targets` with `model` round by round (PREDICT_CHUNK images): pixels from `pixelsOf` (Postgres or
 * memory), batched inference on the given threads/pool, rows written idempotently (a resumed job may repeat
 * the last round). Returns the inference seconds (reading and writing excluded) for the img/s figure.
 */
export async function predictTargets(
  db: TDb,
  options: {
    setId: string;
    model: TModel;
    targets: readonly TPredictTarget[];
    pixelsOf: (ids: string[]) => Promise<Uint8Array>;
    index: readonly number[];
    taxonomySize: number;
    inference: TEvaluateOptions;
    afterRound: (round: TPredictRound) => Promise<void>;
  },
): Promise<number> {
  let seconds = 0;
  for (let k = 0; k < options.targets.length; k += PREDICT_CHUNK) {
    options.inference.signal?.throwIfAborted();
    const chunk = options.targets.slice(k, k + PREDICT_CHUNK);
    const pixels = await options.pixelsOf(chunk.map((t) => t.imageId));
    const t0 = performance.now();
    // The crowd's vote shares as the model estimates them (a logit-adjusted run's rows reweighted by its prior).
    const probs = await predictCrowdProbabilities(options.model, pixels, {
      batchSize: PREDICT_BATCH,
      ...options.inference,
    });
    const spent = (performance.now() - t0) / 1000;
    seconds += spent;
    const rows = toRows(options.setId, chunk, probs, options.index, options.taxonomySize);
    for (let r = 0; r < rows.length; r += 1000)
      await db.prediction.createMany({ data: rows.slice(r, r + 1000), skipDuplicates: true });
    await options.afterRound({ done: chunk.length, seconds: spent });
  }
  return seconds;
}

/** Pixels of images held in memory (the run's training set), by id. */
export function pixelsFromMemory(ids: readonly string[], pixels: Uint8Array) {
  const pos = new Map(ids.map((id, i) => [id, i]));
  return async (want: string[]) => {
    const out = new Uint8Array(want.length * PIXELS);
    want.forEach((id, k) => {
      const i = pos.get(id);
      if (i === undefined) throw new Error(`image ${id} is not in memory`);
      out.set(pixels.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    });
    return out;
  };
}

export const pixelsFromDb = (db: TDb) => (ids: string[]) => loadPixels(db, ids);
