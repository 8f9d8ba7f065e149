// How to treat repeated worker/task rows: accuracy on gold of every method under each --duplicates policy,
// on dog and rte with repeats injected (neither crowd has any). For a random 10% of the votes the same worker
// answers the same task again:
// - redraw: a second answer drawn from that worker's own confusion (their answers on gold, add-one), as if
//   they saw the task again; it goes before all original rows or after them, at random, so neither
//   keep-first nor keep-last is handed the drawn answer (which ignores how hard the task is, so it is a
//   little more often right than a real second look would be);
// - resubmit: the same answer again, after all original rows (a double submit).
// Mean over 5 seeds. Needs ../shared/datasets/crowd (or CONCORD_SHARED).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadVotes } from "../src/cli/load";
import { DUPLICATE_POLICIES, type TDuplicatePolicy } from "../src/duplicates";
import { accuracyOnGold, aggregate, createRng, type TMethod } from "../src/index";

const METHODS: TMethod[] = ["mv", "wawa", "zbs", "onecoin", "ds", "glad", "mace"];
const POLICIES = DUPLICATE_POLICIES.filter((p) => p !== "error");
const SEEDS = [1, 2, 3, 4, 5];
const SHARE = 0.1;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const crowd = path.join(process.env.CONCORD_SHARED ?? path.resolve(repoRoot, "../shared"), "datasets/crowd");
if (!existsSync(path.join(crowd, "dog/votes.csv"))) {
  console.log(`skipped: ${crowd} not found (set CONCORD_SHARED)`);
  process.exit(0);
}

type TRow = [task: string, worker: string, label: string];

function inject(rows: TRow[], gold: Map<string, string>, mode: "redraw" | "resubmit", seed: number): TRow[] {
  const rng = createRng(seed);
  const labels = [...new Set(rows.map((r) => r[2]))].sort();
  // Per worker and true label: counts of their answers, plus one each.
  const confusion = new Map<string, number[]>();
  for (const [task, worker, label] of rows) {
    const key = `${worker}\u0000${gold.get(task)}`;
    const counts = confusion.get(key) ?? labels.map(() => 1);
    counts[labels.indexOf(label)]! += 1;
    confusion.set(key, counts);
  }
  const before: TRow[] = [];
  const after: TRow[] = [];
  for (const [task, worker, label] of rows) {
    if (rng() >= SHARE) continue;
    if (mode === "resubmit") {
      after.push([task, worker, label]);
      continue;
    }
    const counts = confusion.get(`${worker}\u0000${gold.get(task)}`)!;
    let u = rng() * counts.reduce((a, b) => a + b, 0);
    let k = 0;
    while (u >= counts[k]!) u -= counts[k++]!;
    (rng() < 0.5 ? before : after).push([task, worker, labels[k]!]);
  }
  return [...before, ...rows, ...after];
}

const csv = (rows: TRow[]) => `task,worker,label\n${rows.map((r) => r.join(",")).join("\n")}\n`;
// mean accuracy [mode][policy][set][method]
const results = new Map<string, number>();
const add = (key: string, x: number) => results.set(key, (results.get(key) ?? 0) + x / SEEDS.length);

for (const name of ["dog", "rte"]) {
  const votesText = readFileSync(path.join(crowd, name, "votes.csv"), "utf8");
  const goldText = readFileSync(path.join(crowd, name, "gold.csv"), "utf8");
  const rows = votesText
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(",") as TRow);
  const gold = new Map(
    goldText
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((l) => l.split(",") as [string, string]),
  );
  for (const mode of ["redraw", "resubmit"] as const) {
    for (const seed of SEEDS) {
      const text = csv(inject(rows, gold, mode, seed));
      for (const policy of POLICIES) {
        const loaded = loadVotes(text, "votes.csv", goldText, "gold.csv", undefined, policy);
        for (const m of METHODS) {
          const acc = accuracyOnGold(aggregate(loaded.set, m), loaded.gold!, { ties: "hard" }).accuracy;
          add(`${mode} ${policy} ${name} ${m}`, acc);
        }
      }
    }
  }
}

const header = `| injected | policy | set | ${METHODS.join(" | ")} | mean |`;
console.log(header);
console.log(header.replace(/[^|]+/g, "---"));
for (const mode of ["redraw", "resubmit"]) {
  for (const policy of POLICIES as TDuplicatePolicy[]) {
    for (const name of ["dog", "rte"]) {
      const accs = METHODS.map((m) => results.get(`${mode} ${policy} ${name} ${m}`)!);
      const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
      console.log(
        `| ${mode} | ${policy} | ${name} | ${accs.map((a) => a.toFixed(4)).join(" | ")} | ${mean.toFixed(4)} |`,
      );
    }
  }
}
for (const policy of POLICIES) {
  let sum = 0;
  for (const key of results.keys()) if (key.split(" ")[1] === policy) sum += results.get(key)!;
  console.log(
    `${policy}: mean accuracy over both injections, both sets, all methods ${(sum / (2 * 2 * METHODS.length)).toFixed(4)}`,
  );
}
