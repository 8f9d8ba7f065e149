/**
 * Recipe ablation on one budget (issue 14): every arm is a real `concord-train` run (its own process, the same
 * data, epochs and seeds; only the arm's flags differ), and the table is read back from each run's report.json:
 * best Valid accuracy and macro-F1 (the checkpoint that selection chose), the same without train twins, the
 * best epoch, CPU and wall seconds, then per arm the mean and the spread over its seeds.
 * A run whose report.json exists is not run again, and an interrupted one resumes from its checkpoint, so the
 * command can be stopped and restarted; `--print` only prints the table of what has finished.
 * An arm's flags are added to concord-train's defaults (the levers recipe), so an arm names every lever it sets off.
 * Usage: npx tsx bench/recipe-ablation.ts
 *          --arms "plateau=--schedule plateau --warmup-epochs 0 --ema 0 --no-tta-eval;defaults="
 *        [--epochs 10] [--seeds 42,43] [--model fast] [--data ../shared/datasets/ferplus] [--out .runs/ablation]
 *        [--print]
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const here = import.meta.dirname;
const repo = path.resolve(here, "../../..");
const { values: a } = parseArgs({
  options: {
    arms: { type: "string" },
    epochs: { type: "string", default: "10" },
    seeds: { type: "string", default: "42" },
    model: { type: "string", default: "fast" },
    data: { type: "string", default: path.resolve(repo, "../shared/datasets/ferplus") },
    out: { type: "string", default: path.resolve(here, "../.runs/ablation") },
    print: { type: "boolean", default: false },
  },
});
const fail = (message: string): never => {
  console.error(`recipe-ablation: ${message}`);
  process.exit(2);
};
if (!a.arms) fail('--arms "name=flags;name=flags" is required');
if (!existsSync(a.data as string)) fail(`no FER+ folder at ${a.data}; pass --data`);
const arms = (a.arms as string)
  .split(";")
  .map((s) => s.trim())
  .filter(Boolean)
  .map((s) => {
    const eq = s.indexOf("=");
    if (eq <= 0) fail(`arm "${s}": expected name=flags`);
    return {
      name: s.slice(0, eq).trim(),
      flags: s
        .slice(eq + 1)
        .trim()
        .split(/\s+/)
        .filter(Boolean),
    };
  });
const seeds = (a.seeds as string).split(",").map(Number);

type TReport = {
  bestEpoch: number;
  wallSeconds: number;
  checkpointSelectedOn: string;
  history: { epoch: number; cpuSeconds?: number }[];
  valid: {
    accuracy: number;
    macroF1: number;
    withoutTrainTwins?: { accuracy: number; macroF1: number };
  } | null;
};
const dirOf = (arm: string, seed: number) =>
  path.join(a.out as string, `${a.model}-${a.epochs}ep-${arm}-s${seed}`);

if (!a.print)
  for (const arm of arms)
    for (const seed of seeds) {
      const dir = dirOf(arm.name, seed);
      if (existsSync(path.join(dir, "report.json"))) continue;
      const args = [
        path.join(here, "../bin/concord-train.mjs"),
        "--data",
        a.data as string,
        "--model",
        a.model as string,
        "--epochs",
        a.epochs as string,
        "--seed",
        String(seed),
        "--out",
        dir,
        ...(existsSync(path.join(dir, "checkpoint", "checkpoint.json")) ? ["--resume"] : []),
        ...arm.flags,
      ];
      console.error(`recipe-ablation: ${arm.name} seed ${seed}: concord-train ${args.slice(1).join(" ")}`);
      const r = spawnSync(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
      if (r.status !== 0) fail(`${arm.name} seed ${seed} exited with ${r.status ?? r.signal}`);
    }

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
console.log(
  `model ${a.model}, ${a.epochs} epochs, seeds ${seeds.join(", ")}; FER2013Valid, FER+ majority protocol`,
);
console.log(
  "| arm | flags | seed | best valid acc | macro-F1 | without train twins | best epoch | CPU s | wall s |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
const summary: string[] = [];
for (const arm of arms) {
  const accs: number[] = [];
  const f1s: number[] = [];
  for (const seed of seeds) {
    const file = path.join(dirOf(arm.name, seed), "report.json");
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, "utf8")) as TReport;
    if (!r.valid) continue;
    accs.push(r.valid.accuracy);
    f1s.push(r.valid.macroF1);
    const free = r.valid.withoutTrainTwins;
    // Per epoch in the report (a resumed run carries its earlier epochs from the checkpoint).
    const cpu = r.history.every((h) => h.cpuSeconds !== undefined)
      ? r.history.reduce((s, h) => s + h.cpuSeconds!, 0)
      : undefined;
    console.log(
      `| ${arm.name} | ${arm.flags.join(" ") || "(defaults)"} | ${seed} | ${pct(r.valid.accuracy)} | ${r.valid.macroF1.toFixed(3)} | ${free ? `${pct(free.accuracy)} / ${free.macroF1.toFixed(3)}` : "-"} | ${r.bestEpoch} | ${cpu === undefined ? "-" : cpu.toFixed(0)} | ${r.wallSeconds.toFixed(0)} |`,
    );
  }
  if (accs.length === 0) continue;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
  summary.push(
    `${arm.name}: ${accs.length} seed(s), accuracy ${pct(mean(accs))} (spread ${(spread(accs) * 100).toFixed(2)} pt), macro-F1 ${mean(f1s).toFixed(3)} (spread ${spread(f1s).toFixed(3)})`,
  );
}
console.log(`\n${summary.join("\n")}`);
