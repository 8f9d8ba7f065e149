// Snapshot statistics name people and exclusions by database id: per-annotator values keyed by user id
// (workerSkill, workerConfusion) and the exclusions the snapshot applied (excludedAnnotators: annotatorId,
// exclusionId; see the worker's snapshot-labels job). An archive names them by annotator ref and exclusion key
// instead, and a restore maps those to the new rows' ids, so the agreement dashboard and a snapshot's record
// of whom it left out point at the restored annotators and exclusions.
const PER_ANNOTATOR = ["workerSkill", "workerConfusion"] as const;

export type TStatsKeyMaps = {
  annotator: (key: string) => string | undefined;
  exclusion: (key: string) => string | undefined;
};

const isRecord = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === "object" && !Array.isArray(x);

/** The statistics with every id (or key) the maps know replaced; unknown ones are kept as they are. */
export function mapStatsKeys(stats: unknown, maps: TStatsKeyMaps): unknown {
  if (!isRecord(stats)) return stats;
  const out: Record<string, unknown> = { ...stats };
  for (const field of PER_ANNOTATOR) {
    const byKey = out[field];
    if (!isRecord(byKey)) continue;
    out[field] = Object.fromEntries(Object.entries(byKey).map(([k, v]) => [maps.annotator(k) ?? k, v]));
  }
  const excluded = out.excludedAnnotators;
  if (Array.isArray(excluded))
    out.excludedAnnotators = excluded.map((x) => {
      if (!isRecord(x)) return x;
      const { annotatorId: a, exclusionId: e } = x;
      return {
        ...x,
        ...(typeof a === "string" ? { annotatorId: maps.annotator(a) ?? a } : {}),
        ...(typeof e === "string" ? { exclusionId: maps.exclusion(e) ?? e } : {}),
      };
    });
  return out;
}

/** The annotators a snapshot's statistics say it left out (ids in the database, refs in an archive). */
export function excludedAnnotatorsOf(stats: unknown): string[] {
  const excluded = isRecord(stats) ? stats.excludedAnnotators : undefined;
  if (!Array.isArray(excluded)) return [];
  return excluded.flatMap((x) => (isRecord(x) && typeof x.annotatorId === "string" ? [x.annotatorId] : []));
}
