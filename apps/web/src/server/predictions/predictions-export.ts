import "server-only";
import { trainableLabels } from "@concord/crowd";
import { db } from "../db";
import { download, type TExportFormat, toCsv } from "../download";
import { HttpError } from "../http";

/** The model that made a row: the run's saved model, or one of the set's cross-fit fold models. */
export function modelName(runId: string, fold: number | null): string {
  return fold === null ? `run-${runId}` : `run-${runId}-fold-${fold}`;
}

/** Six significant digits, as concord-eval --predictions writes them (1e-9 stays 1e-9, not 0). */
const probability = (x: number) => Number(x.toPrecision(6));

// The predictions export format (read by `concord-crowd issues` and the replay benchmark): a header
// image,split,model,p_<label>...,out_of_sample,tta with one row per image; `image` is the image's externalId (FER+:
// the face file name), the p_ columns are the model's classes (the taxonomy without reject labels), `tta` whether
// the row is the mean over the face and its mirror (the set's, on every row, so a CSV alone says how it was made).
export async function exportPredictions(setId: string, format: TExportFormat) {
  const set = await db().predictionSet.findUnique({
    where: { id: setId },
    include: { dataset: { select: { slug: true, taxonomy: true } } },
  });
  if (!set) throw new HttpError(404, "No such prediction set");
  if (set.status !== "SUCCEEDED")
    throw new HttpError(
      409,
      `The prediction set is ${set.status.toLowerCase()}; export it once it has succeeded`,
    );
  const rows = await db().prediction.findMany({
    where: { setId },
    select: {
      probs: true,
      outOfSample: true,
      fold: true,
      image: { select: { externalId: true, split: true } },
    },
    orderBy: { imageId: "asc" },
  });
  const taxonomy = set.dataset.taxonomy;
  const labels = trainableLabels(taxonomy);
  const columns = labels.map((l) => taxonomy.indexOf(l));
  const name = `${set.dataset.slug}-predictions-${set.scheme}-${setId.slice(-6)}.${format}`;
  if (format === "csv") {
    const header = ["image", "split", "model", ...labels.map((l) => `p_${l}`), "out_of_sample", "tta"];
    return download(
      toCsv(
        header,
        rows.map((r) => [
          r.image.externalId,
          r.image.split,
          modelName(set.runId, r.fold),
          ...columns.map((c) => probability(r.probs[c] ?? 0)),
          r.outOfSample,
          set.tta,
        ]),
      ),
      name,
      format,
    );
  }
  return download(
    JSON.stringify({
      set: {
        id: set.id,
        runId: set.runId,
        scheme: set.scheme,
        folds: set.folds,
        // Each row the mean over the face and its mirror (the run's mirror TTA).
        tta: set.tta,
        createdAt: set.createdAt,
        finishedAt: set.finishedAt,
      },
      dataset: set.dataset.slug,
      labels,
      items: rows.map((r) => ({
        image: r.image.externalId,
        split: r.image.split,
        model: modelName(set.runId, r.fold),
        outOfSample: r.outOfSample,
        probs: columns.map((c) => r.probs[c] ?? 0),
      })),
    }),
    name,
    format,
  );
}
