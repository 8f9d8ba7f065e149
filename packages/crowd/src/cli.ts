// concord-crowd CLI: aggregate task,worker,label CSV votes with any method; accuracy on gold; label issues.
import { readFileSync, writeFileSync } from "node:fs";
import { aggregate } from "./aggregate";
import { accuracyOnGold } from "./annotators";
import { InputError } from "./cli/csv";
import { ISSUES_USAGE, runIssues } from "./cli/issues";
import { loadVotes } from "./cli/load";
import { formatResult } from "./cli/output";
import {
  DEFAULT_DUPLICATE_POLICY,
  DUPLICATE_POLICIES,
  describeDuplicates,
  isDuplicatePolicy,
} from "./duplicates";
import { DEFAULT_LABEL_ISSUE_METHOD } from "./label-issues";
import { METHODS, type TAggregateResult, type TMethod } from "./types";

const USAGE = `usage: concord-crowd aggregate --votes votes.csv [--gold gold.csv] [--method ${METHODS.join("|")}|all]
                              [--out result.csv|result.json] [--labels a,b,c|ferplus] [--seed n]
                              [--duplicates ${DUPLICATE_POLICIES.join("|")}]
  votes.csv: header task,worker,label; a row with an empty worker is an anonymous (tally) vote.
  gold.csv:  header task,label. With --gold, accuracy on gold is printed: "accuracy" splits a tie in a
             posterior 1/k, "hard" compares the hard labels (lowest tied class), as crowd-kit does.
  --duplicates: rows repeating a worker/task pair: keep every row as a vote, keep the last or the first,
             or refuse the file (default ${DEFAULT_DUPLICATE_POLICY}); the count of such rows is printed.
  --method all prints one row per method; FER+ schemes run only on the 10-class FER+ taxonomy.
  Columns: iterations, why they stopped (tolerance / max-iterations), the expected log-likelihood at the end.

${ISSUES_USAGE}`;

class UsageError extends Error {}

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument "${a}"`);
    const [k, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
    if (k === "help") {
      out.set("help", "1");
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${k} needs a value`);
    out.set(k, v);
  }
  return out;
}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new InputError(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

function issues(args: Map<string, string>): number {
  for (const k of args.keys()) {
    const known = ["votes", "predictions", "gold", "out", "method", "panels", "panel-size", "reference"];
    if (![...known, "top", "duplicates", "rank-by"].includes(k))
      throw new UsageError(`unknown option --${k}`);
  }
  const votesFile = args.get("votes");
  const predictionsFile = args.get("predictions");
  if (!votesFile || !predictionsFile) throw new UsageError("issues needs --votes and --predictions");
  const out = args.get("out");
  if (out && !/\.csv$/i.test(out)) throw new UsageError("--out must end in .csv");
  const duplicates = args.get("duplicates") ?? DEFAULT_DUPLICATE_POLICY;
  if (!isDuplicatePolicy(duplicates))
    throw new UsageError(`unknown --duplicates "${duplicates}"; expected ${DUPLICATE_POLICIES.join(", ")}`);
  const goldFile = args.get("gold");
  const panelsFile = args.get("panels");
  const r = runIssues({
    votesFile,
    votesText: read(votesFile),
    predictionsFile,
    predictionsText: read(predictionsFile),
    ...(goldFile ? { goldFile, goldText: read(goldFile) } : {}),
    ...(panelsFile ? { panelsFile, panelsText: read(panelsFile) } : {}),
    ...(args.has("reference") ? { reference: args.get("reference")! } : {}),
    method: args.get("method") ?? DEFAULT_LABEL_ISSUE_METHOD,
    rankBy: args.get("rank-by") ?? "current",
    panelSize: Number(args.get("panel-size") ?? 10),
    top: Number(args.get("top") ?? 20),
    duplicates,
  });
  console.log(r.report);
  if (out) {
    writeFileSync(out, r.csv);
    console.error(`wrote ${out}`);
  }
  return 0;
}

export function main(argv: string[]): number {
  try {
    const [command, ...rest] = argv;
    if (!command || command === "--help" || command === "help") {
      console.log(USAGE);
      return command ? 0 : 2;
    }
    if (command !== "aggregate" && command !== "issues") throw new UsageError(`unknown command "${command}"`);
    const args = parseArgs(rest);
    if (args.has("help")) {
      console.log(USAGE);
      return 0;
    }
    if (command === "issues") return issues(args);
    for (const k of args.keys()) {
      if (!["votes", "gold", "method", "out", "labels", "seed", "duplicates"].includes(k))
        throw new UsageError(`unknown option --${k}`);
    }
    const votesFile = args.get("votes");
    if (!votesFile) throw new UsageError("--votes is required");
    const method = args.get("method") ?? "ds";
    if (method !== "all" && !(METHODS as readonly string[]).includes(method)) {
      throw new UsageError(`unknown method "${method}"; expected one of ${METHODS.join(", ")}, all`);
    }
    const out = args.get("out");
    if (out && !/\.(csv|json)$/i.test(out)) throw new UsageError("--out must end in .csv or .json");
    const seed = Number(args.get("seed") ?? 1);
    const duplicates = args.get("duplicates") ?? DEFAULT_DUPLICATE_POLICY;
    if (!isDuplicatePolicy(duplicates))
      throw new UsageError(`unknown --duplicates "${duplicates}"; expected ${DUPLICATE_POLICIES.join(", ")}`);
    const goldFile = args.get("gold");
    const loaded = loadVotes(
      read(votesFile),
      votesFile,
      goldFile ? read(goldFile) : null,
      goldFile ?? "",
      args.get("labels"),
      duplicates,
    );
    const { set, gold } = loaded;
    const tallied = set.tallies ? set.tallies.reduce((a, b) => a + b, 0) : 0;
    console.error(
      `${votesFile}: ${set.numItems} tasks, ${set.numWorkers} workers, ${set.numVotes} identified votes` +
        `${tallied ? ` + ${tallied} anonymous` : ""}, ${set.numClasses} classes (${loaded.classes.join(", ")})` +
        `${gold ? `; ${loaded.goldCount} gold labels` : ""}`,
    );
    if (loaded.duplicates.repeated > 0)
      console.error(`${votesFile}: ${describeDuplicates(loaded.duplicates)}`);
    const methods = (method === "all" ? METHODS : [method]) as readonly TMethod[];
    const results: TAggregateResult[] = [];
    const lines: string[] = [];
    lines.push(
      `${"method".padEnd(22)}${gold ? `${"accuracy".padStart(10)}${"hard".padStart(8)}` : ""}${"iterations".padStart(12)}  ${"stop".padEnd(15)}${"E[log-lik]".padStart(13)}${"ms".padStart(9)}  excluded`,
    );
    for (const m of methods) {
      if (m.startsWith("ferplus-") && set.numClasses !== 10) {
        if (method !== "all")
          throw new InputError(
            `${m} needs the 10-class FER+ taxonomy (use FER+ label keys or --labels ferplus)`,
          );
        lines.push(`${m.padEnd(22)}  skipped: needs the 10-class FER+ taxonomy`);
        continue;
      }
      const t0 = performance.now();
      const r = aggregate(set, m, { seed });
      const ms = performance.now() - t0;
      results.push(r);
      const acc = gold
        ? `${accuracyOnGold(r, gold).accuracy.toFixed(4).padStart(10)}${accuracyOnGold(r, gold, { ties: "hard" }).accuracy.toFixed(4).padStart(8)}`
        : "";
      const excluded = r.labels.reduce((a, l) => a + (l < 0 ? 1 : 0), 0);
      const ell = r.expectedLogLikelihood === null ? "-" : r.expectedLogLikelihood.toFixed(2);
      lines.push(
        `${m.padEnd(22)}${acc}${String(r.iterations).padStart(12)}  ${(r.stopReason ?? "-").padEnd(15)}${ell.padStart(13)}${ms.toFixed(1).padStart(9)}  ${excluded}`,
      );
    }
    console.log(lines.join("\n"));
    if (out) {
      writeFileSync(out, formatResult(out.toLowerCase().endsWith(".json") ? "json" : "csv", loaded, results));
      console.error(`wrote ${out}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`concord-crowd: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof InputError || error instanceof RangeError) {
      console.error(`concord-crowd: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = main(process.argv.slice(2));
