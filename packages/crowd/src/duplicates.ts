// Repeated votes: the same worker answering the same task more than once, common in real exports. One
// policy for every reader of vote files (the concord-crowd CLI, the importer and through it the web upload).

export const DUPLICATE_POLICIES = ["keep-all", "keep-last", "keep-first", "error"] as const;
export type TDuplicatePolicy = (typeof DUPLICATE_POLICIES)[number];

/**
 * keep-last: a worker's later answer replaces the earlier one. Chosen by accuracy on dog and rte with
 * repeats injected (`npm run bench:duplicates -w @concord/crowd`, table in the package README). One vote
 * per worker and task is also what the database holds, so the importer takes the same default (it does
 * not compile with keep-all here).
 */
export const DEFAULT_DUPLICATE_POLICY = "keep-last" satisfies TDuplicatePolicy;

export function isDuplicatePolicy(name: string): name is TDuplicatePolicy {
  return (DUPLICATE_POLICIES as readonly string[]).includes(name);
}

export type TDuplicateReport = {
  policy: TDuplicatePolicy;
  /** Rows whose (task, worker) pair appeared on an earlier row. */
  repeated: number;
  /** Of those, rows whose label differs from the pair's previous row. */
  changed: number;
  /** Distinct (task, worker) pairs with more than one row. */
  pairs: number;
  /** Rows the policy leaves out (keep-first, keep-last); 0 for keep-all and error. */
  dropped: number;
  /** The first repeated row and the earlier row of its pair (row indexes), for "error" messages. */
  first: { row: number; earlier: number } | null;
};

/**
 * Which rows `policy` keeps, given each row's (task, worker) key in file order (null = an anonymous row,
 * always kept) and optionally its label. "error" keeps every row: the caller, which knows files and
 * lines, refuses when `report.repeated > 0`.
 */
export function resolveDuplicates(
  keys: readonly (string | null)[],
  policy: TDuplicatePolicy,
  labels?: readonly string[],
): { keep: Uint8Array; report: TDuplicateReport } {
  const keep = new Uint8Array(keys.length).fill(1);
  const firstRow = new Map<string, number>();
  const lastRow = new Map<string, number>();
  const report: TDuplicateReport = { policy, repeated: 0, changed: 0, pairs: 0, dropped: 0, first: null };
  keys.forEach((key, row) => {
    if (key === null) return;
    const earlier = lastRow.get(key);
    if (earlier !== undefined) {
      report.repeated++;
      if (earlier === firstRow.get(key)) report.pairs++;
      if (labels && labels[row] !== labels[earlier]) report.changed++;
      report.first ??= { row, earlier };
      if (policy === "keep-first") keep[row] = 0;
      if (policy === "keep-last") keep[earlier] = 0;
    } else firstRow.set(key, row);
    lastRow.set(key, row);
  });
  if (policy === "keep-first" || policy === "keep-last") report.dropped = report.repeated;
  return { keep, report };
}

/** One line for logs: "12 repeated worker/task rows (10 pairs, 4 changed answer); keep-last dropped 12". */
export function describeDuplicates(r: TDuplicateReport): string {
  const what = `${r.repeated} repeated worker/task row${r.repeated === 1 ? "" : "s"} (${r.pairs} pair${r.pairs === 1 ? "" : "s"}, ${r.changed} with a changed answer)`;
  if (r.policy === "keep-all") return `${what}; keep-all kept every row as a separate vote`;
  if (r.policy === "error") return `${what}; policy error`;
  return `${what}; ${r.policy} dropped ${r.dropped} ${r.policy === "keep-last" ? "earlier" : "later"} row${r.dropped === 1 ? "" : "s"}`;
}
