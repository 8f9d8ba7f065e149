import "server-only";
import { trainableLabels } from "@concord/crowd/labels";
import { iso, query } from "../sql";

// The model's view of an image for review and stopping: its latest out-of-sample prediction, i.e. the row of
// the most recently finished SUCCEEDED prediction set of its dataset whose model never trained on it (a newer
// in-sample set does not hide an older cross-fit row). Tables: PredictionSet / Prediction (issue 12).
export type TLatestPrediction = {
  imageId: string;
  probs: number[];
  setId: string;
  runId: string;
  finishedAt: string;
};

const FROM_OOS = `FROM "Prediction" p JOIN "PredictionSet" s ON s.id = p."setId"
WHERE s.status = 'SUCCEEDED' AND p."outOfSample"`;
const NEWEST_FIRST = `s."finishedAt" DESC NULLS LAST, s.id DESC`;
const LATEST_OOS = `
SELECT DISTINCT ON (p."imageId") p."imageId", p.probs, s.id AS "setId", s."runId", ${iso(`s."finishedAt"`)} AS "finishedAt"
${FROM_OOS}`;
const ORDER = `ORDER BY p."imageId", ${NEWEST_FIRST}`;

// The same row's probabilities for one image, as a scalar subquery (image: an SQL expression).
export const latestProbsOf = (image: string) =>
  `(SELECT p.probs ${FROM_OOS} AND p."imageId" = ${image} ORDER BY ${NEWEST_FIRST} LIMIT 1)`;

// The newest SUCCEEDED prediction set of a dataset, as a scalar subquery (dataset: an SQL expression).
export const newestSetOf = (dataset: string) =>
  `(SELECT id FROM "PredictionSet" WHERE "datasetId" = ${dataset} AND status = 'SUCCEEDED'
    ORDER BY "finishedAt" DESC NULLS LAST, id DESC LIMIT 1)`;

// $1 dataset.
const OF_DATASET = { name: "review.latestOfDataset", text: `${LATEST_OOS} AND s."datasetId" = $1 ${ORDER}` };
// $1 image ids.
const OF_IMAGES = {
  name: "review.latestOfImages",
  text: `${LATEST_OOS} AND p."imageId" = ANY($1::text[]) ${ORDER}`,
};

// $1 dataset.
const NEWEST_SET = { name: "review.newestSet", text: `SELECT ${newestSetOf("$1")} AS id` };

export async function latestPredictions(
  filter: { datasetId: string } | { imageIds: string[] },
): Promise<Map<string, TLatestPrediction>> {
  const rows =
    "datasetId" in filter
      ? await query<TLatestPrediction>(OF_DATASET, [filter.datasetId])
      : await query<TLatestPrediction>(OF_IMAGES, [filter.imageIds]);
  return new Map(rows.map((r) => [r.imageId, r]));
}

export async function newestPredictionSet(datasetId: string): Promise<string | null> {
  return (await query<{ id: string }>(NEWEST_SET, [datasetId]))[0]?.id ?? null;
}

// How many leading taxonomy classes the model outputs (its rows store 0 for the others): the trainable labels
// of @concord/crowd (FER+: the 8 emotions before unknown / not-a-face). Model class k is taxonomy class k, as the
// ranking and the stopping rule expect; a taxonomy whose reject labels are not at its end counts every class.
export function modelClassesOf(taxonomy: readonly string[]): number {
  const trainable = trainableLabels(taxonomy);
  return trainable.every((l, k) => taxonomy[k] === l) ? trainable.length : taxonomy.length;
}
