import {
  DEFAULT_DUPLICATE_POLICY,
  resolveDuplicates,
  type TDuplicatePolicy,
  type TDuplicateReport,
} from "../duplicates";
import { FERPLUS_LABELS } from "../labels";
import type { TVote, TVoteSet } from "../types";
import { buildVoteSet } from "../vote-set";
import { InputError, parseCsv } from "./csv";

export type TLoaded = {
  set: TVoteSet;
  tasks: string[];
  workers: string[];
  classes: string[];
  gold: Int32Array | null;
  goldCount: number;
  duplicates: TDuplicateReport;
};

/**
 * Class order: --labels list (or "ferplus"), else FER+ order when every label is a FER+ key, else numeric
 * order when every label is a number, else sorted text. A row with an empty worker is an anonymous vote
 * (a tally count), never attributed to an invented worker. Rows repeating a worker/task pair follow
 * `duplicates` (see duplicates.ts); "error" refuses the file at the first repeat.
 */
export function loadVotes(
  votesText: string,
  votesFile: string,
  goldText: string | null,
  goldFile: string,
  labelsOpt?: string,
  duplicates: TDuplicatePolicy = DEFAULT_DUPLICATE_POLICY,
): TLoaded {
  const allRows = parseCsv(votesText, votesFile, ["task", "worker", "label"]);
  if (allRows.length === 0) throw new InputError(`${votesFile}: no votes (only a header)`);
  for (const r of allRows) {
    if (r.cells[0] === "") throw new InputError(`${votesFile}:${r.line}: empty task`);
    if (r.cells[2] === "") throw new InputError(`${votesFile}:${r.line}: empty label`);
  }
  const { keep, report } = resolveDuplicates(
    allRows.map((r) => (r.cells[1] === "" ? null : `${r.cells[0]}\u0000${r.cells[1]}`)),
    duplicates,
    allRows.map((r) => r.cells[2]!),
  );
  if (duplicates === "error" && report.first) {
    const r = allRows[report.first.row]!;
    throw new InputError(
      `${votesFile}:${r.line}: worker "${r.cells[1]}" already voted on task "${r.cells[0]}" (line ${allRows[report.first.earlier]!.line}); --duplicates keep-all, keep-last or keep-first accepts repeats`,
    );
  }
  const rows = allRows.filter((_, k) => keep[k]);
  const seen = [...new Set(allRows.map((r) => r.cells[2]!))];
  let classes: string[];
  if (labelsOpt) {
    classes = labelsOpt === "ferplus" ? [...FERPLUS_LABELS] : labelsOpt.split(",").map((s) => s.trim());
    for (const r of allRows) {
      if (!classes.includes(r.cells[2]!))
        throw new InputError(`${votesFile}:${r.line}: label "${r.cells[2]}" is not in --labels`);
    }
  } else if (seen.every((l) => (FERPLUS_LABELS as readonly string[]).includes(l)))
    classes = [...FERPLUS_LABELS];
  else if (seen.every((l) => /^-?\d+(\.\d+)?$/.test(l))) classes = seen.sort((a, b) => Number(a) - Number(b));
  else classes = seen.sort();
  if (classes.length < 2) classes = [...classes, `${classes[0]}-other`];
  const classOf = new Map(classes.map((c, i) => [c, i]));
  // Ids in order of first appearance in the file, whichever rows the duplicate policy keeps.
  const taskOf = new Map<string, number>();
  const workerOf = new Map<string, number>();
  for (const { cells } of allRows) {
    if (!taskOf.has(cells[0]!)) taskOf.set(cells[0]!, taskOf.size);
    if (cells[1] !== "" && !workerOf.has(cells[1]!)) workerOf.set(cells[1]!, workerOf.size);
  }
  const votes: TVote[] = [];
  const tallies: { item: number; counts: number[] }[] = [];
  for (const r of rows) {
    const [task, worker, label] = r.cells as [string, string, string];
    const item = taskOf.get(task)!;
    const cls = classOf.get(label)!;
    if (worker === "") {
      const counts = new Array<number>(classes.length).fill(0);
      counts[cls] = 1;
      tallies.push({ item, counts });
      continue;
    }
    votes.push({ item, worker: workerOf.get(worker)!, label: cls });
  }
  const set = buildVoteSet({
    numClasses: classes.length,
    numItems: taskOf.size,
    numWorkers: workerOf.size,
    votes,
    ...(tallies.length ? { tallies } : {}),
    allowRepeats: duplicates === "keep-all",
  });
  let gold: Int32Array | null = null;
  let goldCount = 0;
  if (goldText !== null) {
    const grows = parseCsv(goldText, goldFile, ["task", "label"]);
    if (grows.length === 0) throw new InputError(`${goldFile}: no gold labels (only a header)`);
    gold = new Int32Array(set.numItems).fill(-1);
    for (const r of grows) {
      const [task, label] = r.cells as [string, string];
      const item = taskOf.get(task);
      if (item === undefined)
        throw new InputError(`${goldFile}:${r.line}: gold task "${task}" has no votes in ${votesFile}`);
      const cls = classOf.get(label);
      if (cls === undefined)
        throw new InputError(`${goldFile}:${r.line}: gold label "${label}" is not a label seen in the votes`);
      if (gold[item]! >= 0) throw new InputError(`${goldFile}:${r.line}: task "${task}" has two gold labels`);
      gold[item] = cls;
      goldCount++;
    }
  }
  return {
    set,
    tasks: [...taskOf.keys()],
    workers: [...workerOf.keys()],
    classes,
    gold,
    goldCount,
    duplicates: report,
  };
}
