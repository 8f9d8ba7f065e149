// concord-crowd issues: rank tasks by the probability that their crowd label is wrong, from the votes and a
// model's predictions (the predictions export format).

import type { TDuplicatePolicy } from "../duplicates";
import { recoveryAtBudgets } from "../issue-recovery";
import {
  DEFAULT_LABEL_ISSUE_METHOD,
  findLabelIssues,
  LABEL_ISSUE_METHODS,
  type TLabelIssueMethod,
  type TLabelIssueOptions,
} from "../label-issues";
import { FERPLUS_LABELS } from "../labels";
import { createModelPanelPrior } from "../model-panel-prior";
import { fitPanelPrior, type TReference } from "../plurality";
import { parsePredictionsCsv } from "../predictions-csv";
import { itemCounts } from "../vote-set";
import { csvField, InputError } from "./csv";
import { loadVotes } from "./load";

const REFERENCES: readonly TReference[] = ["plurality-split", "majority", "ferplus-majority"];

export const ISSUES_USAGE = `usage: concord-crowd issues --votes votes.csv --predictions predictions.csv [--gold gold.csv]
                           [--out ranked.csv] [--method ${LABEL_ISSUE_METHODS.join("|")}]
                           [--panels panels.csv] [--panel-size n] [--reference ${REFERENCES.join("|")}]
                           [--top n] [--duplicates keep-last|...] [--rank-by current|suggested]
  predictions.csv: image (or task),split,p_<class>,... as concord-eval --predictions and the web export write it;
             every task of votes.csv needs a row; its classes come first in the vote taxonomy (votes outside them,
             e.g. FER+ unknown / not-a-face, are votes for classes the model does not know).
  The crowd label of a task is the plurality of its votes (ties: lowest class). Default method ${DEFAULT_LABEL_ISSUE_METHOD}:
  it predicts the answer of a complete panel of --panel-size votes (default 10; --reference: ferplus-majority for
  the FER+ taxonomy, else plurality-split) from the complete panels of --panels (task,worker,label; tasks with
  exactly --panel-size votes; default: those among --votes; or a FER+ label.csv, e.g. FER2013Train's). Prints the top suspects; with --gold, the share of
  wrong crowd labels found when the top 5/10/20/30% are re-voted and the label accuracy after each budget.
  --rank-by suggested orders by P(the suggested label is wrong) instead (the relabel priority: where a re-vote adds
  most to label accuracy when the other tasks take the suggested label; bayes-*, product).
  ranked.csv: rank,task,label,suggested,score,votes,p_model_label,model_label (most suspect first).`;

export type TIssuesArgs = {
  votesFile: string;
  votesText: string;
  predictionsFile: string;
  predictionsText: string;
  goldFile?: string;
  goldText?: string;
  panelsFile?: string;
  panelsText?: string;
  reference?: string;
  method: string;
  rankBy: string;
  panelSize: number;
  top: number;
  duplicates: TDuplicatePolicy;
};

export function runIssues(a: TIssuesArgs): { report: string; csv: string } {
  if (!(LABEL_ISSUE_METHODS as readonly string[]).includes(a.method))
    throw new InputError(`unknown --method "${a.method}"; expected ${LABEL_ISSUE_METHODS.join(", ")}`);
  if (a.rankBy !== "current" && a.rankBy !== "suggested")
    throw new InputError(`unknown --rank-by "${a.rankBy}"; expected current or suggested`);
  if (a.rankBy === "suggested" && (a.method === "margin" || a.method === "confident-learning"))
    throw new InputError(
      `--rank-by suggested needs a method with a posterior (bayes-panel, bayes-confusion, product)`,
    );
  if (!(Number.isInteger(a.top) && a.top >= 0)) throw new InputError(`--top must be a non-negative integer`);
  if (!(Number.isInteger(a.panelSize) && a.panelSize >= 1))
    throw new InputError(`--panel-size must be a positive integer`);
  const pred = parsePredictionsCsv(a.predictionsText, a.predictionsFile);
  // Vote taxonomy: the model's classes first (model class k = vote class k), then any other label voted.
  const first = loadVotes(a.votesText, a.votesFile, null, "", undefined, a.duplicates);
  const firstPanels =
    a.panelsText && !isFerplusLabelCsv(a.panelsText)
      ? loadVotes(a.panelsText, a.panelsFile!, null, "", undefined, a.duplicates)
      : null;
  const others = [...first.classes, ...(firstPanels?.classes ?? [])].filter((c) => !pred.classes.includes(c));
  const order = [...pred.classes, ...new Set(others)];
  const loaded = loadVotes(
    a.votesText,
    a.votesFile,
    a.goldText ?? null,
    a.goldFile ?? "",
    order.join(","),
    a.duplicates,
  );
  const { set, tasks, classes } = loaded;
  const K = pred.classes.length;
  const C = classes.length;
  const row = new Map(pred.images.map((image, r) => [image, r]));
  const missing = tasks.filter((t) => !row.has(t));
  if (missing.length)
    throw new InputError(
      `${a.predictionsFile}: no prediction for ${missing.length} of ${tasks.length} tasks of ${a.votesFile} (first: "${missing[0]}")`,
    );
  const probs = new Float64Array(tasks.length * K);
  tasks.forEach((t, i) => {
    const r = row.get(t)!;
    probs.set(pred.probs.subarray(r * K, r * K + K), i * K);
  });
  const method = a.method as TLabelIssueMethod;
  const isFerplus = classes.length === 10 && FERPLUS_LABELS.every((l, c) => classes[c] === l);
  const reference = (a.reference ?? (isFerplus ? "ferplus-majority" : "plurality-split")) as TReference;
  if (!REFERENCES.includes(reference))
    throw new InputError(`unknown --reference "${a.reference}"; expected ${REFERENCES.join(", ")}`);
  let panelNote = "";
  const options: TLabelIssueOptions = { method, reference, rankBy: a.rankBy as "current" | "suggested" };
  if (method === "bayes-panel" || method === "confident-learning") {
    const panels = !a.panelsText
      ? itemCounts(set)
      : isFerplusLabelCsv(a.panelsText)
        ? ferplusPanels(a.panelsText, a.panelsFile!, isFerplus)
        : itemCounts(loadVotes(a.panelsText, a.panelsFile!, null, "", order.join(","), a.duplicates).set);
    let n = 0;
    for (let i = 0; i < panels.length / C; i++) {
      let k = 0;
      for (let c = 0; c < C; c++) k += panels[i * C + c]!;
      if (k === a.panelSize) n++;
    }
    const where = a.panelsFile ?? a.votesFile;
    if (n === 0)
      throw new InputError(
        `${where}: no task has exactly ${a.panelSize} votes, so ${method} has no complete panels to learn from (--panels FILE, --panel-size n, or --method bayes-confusion)`,
      );
    options.panelPrior = createModelPanelPrior(fitPanelPrior(panels, C, a.panelSize));
    panelNote = `; panel prior from ${n} complete panels of ${a.panelSize} votes in ${where}, reference ${reference}`;
  }
  const res = findLabelIssues({ set, probs, numModelClasses: K }, options);
  const counts = itemCounts(set);
  const modelLabel = (i: number) => {
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[i * K + k]! > probs[i * K + best]!) best = k;
    return best;
  };
  const name = (c: number) => (c >= 0 ? classes[c]! : "");
  const fmt = (x: number) => String(Math.round(x * 1e6) / 1e6);
  const lines = [
    `${tasks.length} tasks, ${C} classes (${classes.join(", ")}); model classes ${K}; ${pred.images.length - tasks.length} predictions without votes ignored`,
    `method ${method}${a.rankBy === "suggested" ? ", ranked by P(suggested label wrong)" : ""}${res.temperature !== null ? `, model temperature ${res.temperature.toFixed(2)}` : ""}${panelNote}`,
    "top suspects (score = P(label wrong) for bayes-* and product):",
    `${"rank".padStart(5)}  ${"task".padEnd(24)}${"label".padEnd(12)}${"suggested".padEnd(12)}${"score".padStart(8)}  votes`,
  ];
  const voteText = (i: number) =>
    classes
      .map((c, j) => [c, counts[i * C + j]!] as const)
      .filter(([, n]) => n > 0)
      .map(([c, n]) => `${c} ${n}`)
      .join(", ");
  Array.from(res.order.subarray(0, a.top)).forEach((i, r) => {
    lines.push(
      `${String(r + 1).padStart(5)}  ${tasks[i]!.padEnd(24)}${name(res.labels[i]!).padEnd(12)}${name(res.suggested[i]!).padEnd(12)}${res.scores[i]!.toFixed(4).padStart(8)}  ${voteText(i)}`,
    );
  });
  if (loaded.gold) {
    const rec = recoveryAtBudgets(res.order, res.labels, res.suggested, loaded.gold, [0.05, 0.1, 0.2, 0.3]);
    let wrong = 0;
    let n = 0;
    loaded.gold.forEach((g, i) => {
      if (g < 0) return;
      n++;
      if (res.labels[i] !== g) wrong++;
    });
    lines.push(
      `gold: ${n} tasks, ${wrong} crowd labels differ from gold (accuracy ${(100 * (1 - wrong / n)).toFixed(2)}%); re-voting the top of the ranking (re-voted tasks take the gold label, the others the suggested one):`,
    );
    for (const r of rec)
      lines.push(
        `  budget ${String(100 * r.budget).padStart(2)}% (${r.revoted} tasks): ${(100 * r.recovered).toFixed(1)}% of the wrong labels found, label accuracy ${(100 * r.accuracy).toFixed(2)}%`,
      );
  }
  const csv = [
    ["rank", "task", "label", "suggested", "score", "votes", "p_model_label", "model_label"].join(","),
    ...Array.from(res.order).map((i, r) => {
      const y = res.labels[i]!;
      const pm = y < K ? probs[i * K + y]! : 0;
      return [
        r + 1,
        csvField(tasks[i]!),
        csvField(name(y)),
        csvField(name(res.suggested[i]!)),
        fmt(res.scores[i]!),
        csvField(voteText(i)),
        fmt(pm),
        csvField(name(modelLabel(i))),
      ].join(",");
    }),
  ];
  return { report: lines.join("\n"), csv: `${csv.join("\n")}\n` };
}

const isFerplusLabelCsv = (text: string) => /^[^,\r\n]+,"\(\s*\d+/.test(text.replace(/^\uFEFF/, ""));

/** Vote counts of a FER+ label.csv (file,"(x, y, w, h)",10 counts in FER+ taxonomy order; no header). */
function ferplusPanels(text: string, file: string, isFerplus: boolean): Float64Array {
  if (!isFerplus)
    throw new InputError(`${file}: a FER+ label.csv needs votes and predictions in the FER+ taxonomy`);
  const out: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const cells = line.split('"')[2]?.split(",").slice(1).map(Number) ?? [];
    if (cells.length !== 10 || cells.some((x) => !(Number.isInteger(x) && x >= 0)))
      throw new InputError(`${file}:${i + 1}: expected file,"(x, y, w, h)",10 vote counts`);
    out.push(...cells);
  });
  return Float64Array.from(out);
}
