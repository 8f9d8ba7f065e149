import "server-only";
import { db } from "../db";
import { download, type TExportFormat, toCsv } from "../download";
import { HttpError } from "../http";

const VOTE_HEADER = [
  "image",
  "split",
  "source",
  "annotator",
  "label",
  "count",
  "durationMs",
  "createdAt",
] as const;

// Identified votes (one row each, count 1) and imported tallies (one row per non-zero label, with its
// count and source): a researcher gets everything the aggregation saw, tallies never disguised as people.
export async function exportVotes(datasetId: string, format: TExportFormat) {
  const dataset = await db().dataset.findUnique({
    where: { id: datasetId },
    select: { slug: true, taxonomy: true },
  });
  if (!dataset) throw new HttpError(404, "No such dataset");
  const votes = await db().vote.findMany({
    where: { image: { datasetId } },
    select: {
      label: true,
      durationMs: true,
      createdAt: true,
      annotatorId: true,
      image: { select: { externalId: true, split: true } },
    },
    orderBy: [{ imageId: "asc" }, { createdAt: "asc" }],
  });
  const tallies = await db().importedTally.findMany({
    where: { image: { datasetId } },
    select: { source: true, counts: true, image: { select: { externalId: true, split: true } } },
  });
  const rows: (string | number | null)[][] = votes.map((v) => [
    v.image.externalId,
    v.image.split,
    "vote",
    v.annotatorId,
    v.label,
    1,
    v.durationMs,
    v.createdAt.toISOString(),
  ]);
  for (const t of tallies) {
    t.counts.forEach((n, c) => {
      if (n > 0)
        rows.push([
          t.image.externalId,
          t.image.split,
          `tally:${t.source}`,
          null,
          dataset.taxonomy[c] ?? `#${c}`,
          n,
          null,
          null,
        ]);
    });
  }
  const name = `${dataset.slug}-votes.${format}`;
  if (format === "csv") return download(toCsv(VOTE_HEADER, rows), name, format);
  const objects = rows.map((r) => Object.fromEntries(VOTE_HEADER.map((h, i) => [h, r[i]])));
  return download(
    JSON.stringify({ dataset: dataset.slug, taxonomy: dataset.taxonomy, votes: objects }),
    name,
    format,
  );
}
