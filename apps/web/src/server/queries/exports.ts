import "server-only";
import { db } from "@/server/db";
import { HttpError } from "@/server/http";
import { toCsv } from "./format";

export type TExportFormat = "csv" | "json";

export function readFormat(url: URL): TExportFormat {
  const f = url.searchParams.get("format") ?? "csv";
  if (f !== "csv" && f !== "json") throw new HttpError(400, "format: csv or json");
  return f;
}

export function download(body: string, filename: string, format: TExportFormat): Response {
  return new Response(body, {
    headers: {
      "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    },
  });
}

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

export async function exportSoftLabels(snapshotId: string, format: TExportFormat) {
  const snap = await db().labelSnapshot.findUnique({
    where: { id: snapshotId },
    include: { dataset: { select: { slug: true, taxonomy: true } } },
  });
  if (!snap) throw new HttpError(404, "No such snapshot");
  const labels = await db().softLabel.findMany({
    where: { snapshotId },
    select: { probs: true, label: true, votes: true, image: { select: { externalId: true, split: true } } },
    orderBy: { imageId: "asc" },
  });
  const tax = snap.dataset.taxonomy;
  const name = `${snap.dataset.slug}-${snap.method}-${snapshotId.slice(-6)}-soft-labels.${format}`;
  if (format === "csv") {
    const header = ["image", "split", "consensus", "votes", ...tax.map((t) => `p_${t}`)];
    return download(
      toCsv(
        header,
        labels.map((l) => [l.image.externalId, l.image.split, l.label, l.votes, ...l.probs]),
      ),
      name,
      format,
    );
  }
  return download(
    JSON.stringify({
      snapshot: {
        id: snap.id,
        method: snap.method,
        params: snap.params,
        contentHash: snap.contentHash,
        createdAt: snap.createdAt,
      },
      dataset: snap.dataset.slug,
      taxonomy: tax,
      items: labels.map((l) => ({
        image: l.image.externalId,
        split: l.image.split,
        consensus: l.label,
        votes: l.votes,
        probs: l.probs,
      })),
    }),
    name,
    format,
  );
}
