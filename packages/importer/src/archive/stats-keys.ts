// Snapshot statistics keep per-annotator values keyed by user id (workerSkill, workerConfusion: see the
// worker's snapshot-labels job). An archive keys them by annotator ref instead, and a restore maps the refs
// to the new accounts' ids, so the agreement dashboard of a restored dataset shows the same annotators.
const PER_ANNOTATOR = ["workerSkill", "workerConfusion"] as const;

export function mapStatsKeys(stats: unknown, map: (key: string) => string | undefined): unknown {
  if (stats === null || typeof stats !== "object" || Array.isArray(stats)) return stats;
  const out: Record<string, unknown> = { ...(stats as Record<string, unknown>) };
  for (const field of PER_ANNOTATOR) {
    const byKey = out[field];
    if (byKey === null || typeof byKey !== "object" || Array.isArray(byKey)) continue;
    out[field] = Object.fromEntries(Object.entries(byKey).map(([k, v]) => [map(k) ?? k, v]));
  }
  return out;
}
