import "server-only";
import { activeExclusions } from "../annotators/exclusions";
import { datasetQuality } from "../annotators/quality";
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
// Annotators are pseudonymous ids; `names` puts each name beside its id (annotatorName), for exports that
// stay inside the team. Otherwise the names live in the separate annotators file (exportAnnotators), so the
// votes file can be shared alone.
export async function exportVotes(
  datasetId: string,
  format: TExportFormat,
  options: { names?: boolean } = {},
) {
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
  const names = options.names ? await namesOf(votes.map((v) => v.annotatorId)) : null;
  const header: readonly string[] = names
    ? [...VOTE_HEADER.slice(0, 4), "annotatorName", ...VOTE_HEADER.slice(4)]
    : VOTE_HEADER;
  // With names, the annotator's name goes right after their id (tally rows get an empty name).
  const withName = (row: (string | number | null)[], id: string | null) =>
    names ? [...row.slice(0, 4), id ? (names.get(id) ?? null) : null, ...row.slice(4)] : row;
  const rows: (string | number | null)[][] = votes.map((v) =>
    withName(
      [
        v.image.externalId,
        v.image.split,
        "vote",
        v.annotatorId,
        v.label,
        1,
        v.durationMs,
        v.createdAt.toISOString(),
      ],
      v.annotatorId,
    ),
  );
  for (const t of tallies) {
    t.counts.forEach((n, c) => {
      if (n > 0)
        rows.push(
          withName(
            [
              t.image.externalId,
              t.image.split,
              `tally:${t.source}`,
              null,
              dataset.taxonomy[c] ?? `#${c}`,
              n,
              null,
              null,
            ],
            null,
          ),
        );
    });
  }
  const name = `${dataset.slug}-votes.${format}`;
  if (format === "csv") return download(toCsv(header, rows), name, format);
  const objects = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  return download(
    JSON.stringify({ dataset: dataset.slug, taxonomy: dataset.taxonomy, votes: objects }),
    name,
    format,
  );
}

async function namesOf(ids: string[]): Promise<Map<string, string>> {
  const users = await db().user.findMany({
    where: { id: { in: [...new Set(ids)] } },
    select: { id: true, name: true },
  });
  return new Map(users.map((u) => [u.id, u.name]));
}

const ANNOTATOR_HEADER = [
  "annotator",
  "name",
  "votes",
  "agreement",
  "comparableVotes",
  "goldAnswered",
  "goldAccuracy",
  "skill",
  "skillMethod",
  "medianMs",
  "timedVotes",
  "fastVotes",
  "flags",
  "excludedSince",
] as const;

// The annotators file: one row per identified annotator of the dataset (the ids of the votes file) with
// their name, quality statistics, flags and exclusion. Kept apart from the votes so either can be shared alone.
export async function exportAnnotators(datasetId: string, format: TExportFormat) {
  const dataset = await db().dataset.findUnique({
    where: { id: datasetId },
    select: { id: true, slug: true, name: true, taxonomy: true },
  });
  if (!dataset) throw new HttpError(404, "No such dataset");
  const [quality, excluded] = await Promise.all([datasetQuality(dataset), activeExclusions()]);
  const names = await namesOf(quality.map((q) => q.annotatorId));
  const rows = quality.map((q) => [
    q.annotatorId,
    names.get(q.annotatorId) ?? null,
    q.votes,
    q.agreement,
    q.comparable,
    q.goldAnswered,
    q.goldAccuracy,
    q.skill,
    q.skillSource?.method ?? null,
    q.medianMs,
    q.timedVotes,
    q.fastVotes,
    q.flags.map((f) => f.kind).join(";"),
    excluded.get(q.annotatorId) ?? null,
  ]);
  const name = `${dataset.slug}-annotators.${format}`;
  if (format === "csv") return download(toCsv(ANNOTATOR_HEADER, rows), name, format);
  const objects = rows.map((r) => Object.fromEntries(ANNOTATOR_HEADER.map((h, i) => [h, r[i]])));
  return download(JSON.stringify({ dataset: dataset.slug, annotators: objects }), name, format);
}
