import "server-only";
import { getAgreement, type TAnnotatorRow } from "../agreement/agreement";
import { db } from "../db";
import { query } from "../sql";
import { annotatorFlags, type TFlag } from "./flags";

// Per annotator and dataset: the agreement statistics (cached until the votes change), the expected accuracy
// from the dataset's latest Dawid-Skene (or one-coin) snapshot, response times, and the flags they raise.

export type TAnnotatorQuality = Omit<TAnnotatorRow, "name" | "email"> & {
  datasetId: string;
  datasetName: string;
  numClasses: number;
  skill: number | null;
  skillSource: { snapshotId: string; method: string; createdAt: string } | null;
  flags: TFlag[];
};

// Datasets with identified votes (of one annotator, or of anyone when $1 is NULL).
const VOTED_DATASETS = {
  name: "annotators.votedDatasets",
  text: `SELECT DISTINCT i."datasetId" FROM "Vote" v JOIN "Image" i ON i.id = v."imageId"
          WHERE $1::text IS NULL OR v."annotatorId" = $1`,
};

const SKILL_METHODS = ["ds", "onecoin"];

async function latestSkills(datasetId: string) {
  const snap = await db().labelSnapshot.findFirst({
    where: { datasetId, method: { in: SKILL_METHODS } },
    orderBy: { createdAt: "desc" },
    select: { id: true, method: true, createdAt: true, stats: true },
  });
  const skill = (snap?.stats as { workerSkill?: Record<string, unknown> } | null)?.workerSkill ?? {};
  return {
    source: snap
      ? { snapshotId: snap.id, method: snap.method, createdAt: snap.createdAt.toISOString() }
      : null,
    skillOf: (id: string) => (typeof skill[id] === "number" ? (skill[id] as number) : null),
  };
}

export async function annotatorQuality(annotatorId?: string): Promise<TAnnotatorQuality[]> {
  const voted = await query<{ datasetId: string }>(VOTED_DATASETS, [annotatorId ?? null]);
  const datasets = await db().dataset.findMany({
    where: { id: { in: voted.map((v) => v.datasetId) } },
    select: { id: true, name: true, taxonomy: true },
    orderBy: { createdAt: "asc" },
  });
  const out: TAnnotatorQuality[] = [];
  for (const d of datasets) out.push(...(await datasetQuality(d, annotatorId)));
  return out;
}

/** Every identified annotator of one dataset (or just `annotatorId`), with their flags. */
export async function datasetQuality(
  d: { id: string; name: string; taxonomy: string[] },
  annotatorId?: string,
): Promise<TAnnotatorQuality[]> {
  const [agreement, skills] = await Promise.all([getAgreement(d.id, "ALL"), latestSkills(d.id)]);
  return (agreement?.annotators ?? [])
    .filter((a) => !annotatorId || a.annotatorId === annotatorId)
    .map(({ name: _name, email: _email, ...row }) => {
      const skill = skills.skillOf(row.annotatorId);
      return {
        ...row,
        datasetId: d.id,
        datasetName: d.name,
        numClasses: d.taxonomy.length,
        skill,
        skillSource: skill === null ? null : skills.source,
        flags: annotatorFlags({
          votes: row.votes,
          numClasses: d.taxonomy.length,
          skill,
          skillMethod: skills.source?.method ?? null,
          agreement: row.agreement,
          comparable: row.comparable,
          timedVotes: row.timedVotes,
          fastVotes: row.fastVotes,
        }),
      };
    });
}
