// Replay benchmark of issue #12 on FER+ Valid with any model's predictions (the predictions export format):
//   npm run replay -w @concord/crowd -- --predictions valid-predictions.csv [--replays 3] [--seeds 10]
//        [--data <FER+ folder>] [--no-peer] [--issues-only] [--python /usr/bin/python3]
// a) votes/image vs agreement with the full 10-vote panel, panel prior and model prior side by side;
// b) label issues with 3 random votes per face visible: recovery at 5/10/20/30% re-vote budgets and label
//    accuracy after 10%, for our finders and cleanlab's CROWDLAB and ActiveLab run in the same command
//    (../shared/bench/crowdlab_peer.py with Debian python; skipped with a line saying why when absent).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { InputError, parseCsv } from "../src/cli/csv";
import { recoveryAtBudgets, type TRecovery } from "../src/issue-recovery";
import { FERPLUS_EMOTIONS, FERPLUS_LABELS } from "../src/labels";
import { createModelPanelPrior } from "../src/model-panel-prior";
import { fitPanelPrior } from "../src/plurality";
import { parsePredictionsCsv, predictionRowFinder } from "../src/predictions-csv";
import { ferplusFolder, readPanels } from "./ferplus-panels";
import {
  BUDGETS,
  C,
  crossFitClassPriors,
  drawVisible,
  issueVariants,
  K,
  majorityOf,
  panelConfusion,
  replayIssues,
  replayStopping,
} from "./model-replay";

const { values: a } = parseArgs({
  options: {
    predictions: { type: "string" },
    data: { type: "string" },
    replays: { type: "string", default: "3" },
    seeds: { type: "string", default: "10" },
    "no-peer": { type: "boolean", default: false },
    "issues-only": { type: "boolean", default: false },
    python: { type: "string", default: "/usr/bin/python3" },
  },
});
const fail = (message: string): never => {
  console.error(`replay: ${message}`);
  process.exit(2);
};
if (!a.predictions) fail("--predictions <file.csv> is required (concord-eval --predictions writes one)");
const ferplus = a.data ?? ferplusFolder() ?? fail("FER+ not found under ../shared/datasets/ferplus (--data)");
const validDir = path.join(ferplus, "FER2013Valid");
if (!existsSync(path.join(validDir, "label.csv"))) fail(`${validDir}/label.csv not found`);
const valid = readPanels(validDir);
const train = readPanels(path.join(ferplus, "FER2013Train"));
const N = valid.files.length;

let probs: Float64Array;
try {
  const p = parsePredictionsCsv(readFileSync(a.predictions!, "utf8"), a.predictions!);
  if (p.classes.join(",") !== FERPLUS_EMOTIONS.join(","))
    fail(
      `${a.predictions}: classes ${p.classes.join(",")}, expected p_ columns ${FERPLUS_EMOTIONS.join(",")}`,
    );
  // By file name (concord-eval --predictions) or externalId (the web app's predictions export).
  const rowOf = predictionRowFinder(p);
  const missing = valid.files.filter((f) => rowOf(f) === undefined);
  if (missing.length)
    fail(`${a.predictions}: no prediction for ${missing.length} Valid faces (${missing[0]}, ...)`);
  probs = new Float64Array(N * K);
  valid.files.forEach((f, i) => {
    const r = rowOf(f)!;
    probs.set(p.probs.subarray(r * K, r * K + K), i * K);
  });
} catch (e) {
  if (e instanceof InputError) fail(e.message);
  throw e;
}
const truth = majorityOf(valid.counts);
const withMajority = truth.filter((t) => t >= 0).length;
let modelRight = 0;
truth.forEach((t, i) => {
  if (t < 0) return;
  let best = 0;
  for (let k = 1; k < K; k++) if (probs[i * K + k]! > probs[i * K + best]!) best = k;
  if (best === t) modelRight++;
});
const pct = (x: number, w = 7) => `${(100 * x).toFixed(1)}%`.padStart(w);
console.log(
  `predictions ${a.predictions}: model accuracy ${pct(modelRight / withMajority, 0)} on FER2013Valid (FER+ majority protocol, ${withMajority} faces)`,
);

const panelPrior = fitPanelPrior(train.counts, C, 10);
const mp = createModelPanelPrior(panelPrior);

// a) Stopping.
if (!a["issues-only"]) replayStoppingPart();
function replayStoppingPart() {
  const t0 = performance.now();
  const { classPriors, calibrations } = crossFitClassPriors(mp, valid.counts, probs);
  console.log(
    `\na) stopping: panel prior from FER2013Train (${train.files.length} panels); model prior = that panel prior with each face's class prior from the model, calibrated by 2-fold cross-fit on FER2013Valid panels`,
  );
  for (const [f, c] of calibrations.entries())
    console.log(`   fold ${f}: temperature ${c.temperature}, mix ${c.mix}`);
  const replays = Number(a.replays);
  const grid = [
    ...[0.95, 0.97, 0.98, 0.985, 0.99, 0.9925, 0.995].map((target) => ({
      reference: "majority" as const,
      target,
    })),
    ...[0.98, 0.985, 0.99, 0.9925, 0.995].map((target) => ({ reference: "plurality" as const, target })),
  ];
  const rows = replayStopping(valid.counts, panelPrior, { prior: mp, classPriors }, grid, {
    replays,
    seed: 2026,
  });
  console.log(
    `   every Valid face's 10 votes in ${replays} random orders; agreement with the full panel's answer:`,
  );
  console.log(
    "   majority = the class with > 5 of 10 votes (faces that have one); plurality = a top class (all faces)",
  );
  console.log(
    `   ${"reference".padEnd(10)}${"target".padStart(7)}   ${"panel prior: votes  agree".padEnd(27)}  model prior: votes  agree`,
  );
  type TWhich = "panel" | "model";
  const agreeOf = (r: (typeof rows)[number], s: TWhich) =>
    r.reference === "majority" ? r[s]!.agreementMajority : r[s]!.agreement;
  for (const r of rows) {
    console.log(
      `   ${r.reference.padEnd(10)}${String(r.target).padStart(7)}   ${r.panel.meanVotes.toFixed(2).padStart(18)} ${pct(agreeOf(r, "panel"))}   ${r.model.meanVotes.toFixed(2).padStart(18)} ${pct(agreeOf(r, "model"))}`,
    );
  }
  for (const reference of ["majority", "plurality"] as const) {
    const best = (s: TWhich) => {
      const ok = rows.filter((r) => r.reference === reference && r[s] && agreeOf(r, s) >= 0.99);
      const r = ok.sort((x, y) => x[s]!.meanVotes - y[s]!.meanVotes)[0];
      return r ? `${r[s]!.meanVotes.toFixed(2)} (target ${r.target})` : "not reached";
    };
    console.log(
      `   >= 99% ${reference}: panel prior ${best("panel")}, model prior ${best("model")} votes/image`,
    );
  }
  console.log(`   (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

// b) Label issues.
const seeds = Number(a.seeds);
const variants = issueVariants(mp, panelConfusion(train.counts));
const sums = new Map<string, { recovery: TRecovery[]; seconds: number; runs: number }>();
const add = (name: string, recovery: TRecovery[], seconds: number) => {
  const s = sums.get(name) ?? {
    recovery: recovery.map((r) => ({ ...r, recovered: 0, accuracy: 0, revoted: 0 })),
    seconds: 0,
    runs: 0,
  };
  recovery.forEach((r, j) => {
    s.recovery[j]!.recovered += r.recovered;
    s.recovery[j]!.accuracy += r.accuracy;
    s.recovery[j]!.revoted += r.revoted;
  });
  s.seconds += seconds;
  s.runs++;
  sums.set(name, s);
};
const peerScript = path.resolve(ferplus, "../../bench/crowdlab_peer.py");
const peerWhy = a["no-peer"]
  ? "--no-peer"
  : !existsSync(peerScript)
    ? `${peerScript} not found`
    : spawnSync(a.python!, ["-c", "import numpy, pandas, sklearn"]).status !== 0
      ? `${a.python} cannot import numpy, pandas and sklearn (Debian python3-numpy python3-pandas python3-sklearn)`
      : null;
let wrongShare = 0;
for (let seed = 1; seed <= seeds; seed++) {
  const visible = drawVisible(valid.counts, 3, seed);
  let wrong = 0;
  truth.forEach((t, i) => {
    if (t >= 0 && visible.current[i] !== t) wrong++;
  });
  wrongShare += wrong / withMajority / seeds;
  for (const r of replayIssues(visible, probs, truth, variants, seed)) add(r.name, r.recovery, r.seconds);
  if (!peerWhy) for (const r of runPeer(visible, seed)) add(r.name, r.recovery, r.seconds);
}
console.log(
  `\nb) label issues: 3 random votes per FER2013Valid face visible, ${seeds} draws (seeds 1-${seeds}), mean; the crowd label is their plurality (ties at random)`,
);
console.log(
  `   wrong = it differs from the 10-vote FER+ majority: ${pct(wrongShare, 0)} of the ${withMajority} faces with one (budgets are shares of them)`,
);
console.log(
  `   ${"ranking".padEnd(36)}${BUDGETS.map((b) => `rec@${100 * b}%`.padStart(9)).join("")}   acc@10%  (label accuracy after a 10% budget)   s/run`,
);
for (const [name, s] of sums) {
  const rec = s.recovery.map((r) => pct(r.recovered / s.runs, 9)).join("");
  const acc = s.recovery.find((r) => r.budget === 0.1)!.accuracy / s.runs;
  console.log(
    `   ${name.padEnd(36)}${rec}   ${`${(100 * acc).toFixed(2)}%`.padStart(7)}${" ".repeat(38)}${(s.seconds / s.runs).toFixed(2).padStart(6)}`,
  );
}
console.log(`   (no re-votes: label accuracy of the 3-vote plurality ${pct(1 - wrongShare, 0)})`);
if (peerWhy) console.log(`   CROWDLAB / ActiveLab: not run (${peerWhy})`);

/** cleanlab's CROWDLAB and ActiveLab on the same visible votes (one annotator id per vote slot). */
function runPeer(visible: ReturnType<typeof drawVisible>, seed: number) {
  const dir = mkdtempSync(path.join(tmpdir(), "concord-replay-"));
  try {
    const votes = ["task,worker,label"];
    valid.files.forEach((f, i) => {
      for (let j = 0; j < 3; j++)
        votes.push(`${f},slot${j + 1},${FERPLUS_LABELS[visible.order[i * 3 + j]!]}`);
    });
    writeFileSync(path.join(dir, "votes.csv"), `${votes.join("\n")}\n`);
    const preds = [`task,${FERPLUS_EMOTIONS.map((c) => `p_${c}`).join(",")}`];
    valid.files.forEach((f, i) => {
      preds.push(`${f},${Array.from(probs.subarray(i * K, i * K + K)).join(",")}`);
    });
    writeFileSync(path.join(dir, "predictions.csv"), `${preds.join("\n")}\n`);
    const t = performance.now();
    const r = spawnSync(
      a.python!,
      [
        peerScript,
        "--votes",
        path.join(dir, "votes.csv"),
        "--predictions",
        path.join(dir, "predictions.csv"),
        "--out",
        path.join(dir, "scores.csv"),
      ],
      { encoding: "utf8", timeout: 300_000 },
    );
    const seconds = (performance.now() - t) / 1000;
    if (r.status !== 0) throw new Error(`crowdlab_peer.py failed (seed ${seed}): ${r.stderr.slice(-500)}`);
    const index = new Map(valid.files.map((f, i) => [f, i]));
    const classOf = new Map(FERPLUS_EMOTIONS.map((c, k) => [c as string, k]));
    const scored = parseCsv(readFileSync(path.join(dir, "scores.csv"), "utf8"), "scores.csv", [
      "task",
      "consensus_label",
      "consensus_quality",
      "activelab_score",
    ]).map((row) => ({
      i: index.get(row.cells[0]!)!,
      label: classOf.get(row.cells[1]!)!,
      quality: Number(row.cells[2]),
      active: Number(row.cells[3]),
    }));
    // Faces whose visible votes are all unknown / not-a-face are not in the peer's output: ranked last,
    // keeping their 3-vote label.
    const kept = Int32Array.from(visible.current);
    for (const s of scored) kept[s.i] = s.label;
    const inPeer = new Set(scored.map((s) => s.i));
    const rest = valid.files.map((_, i) => i).filter((i) => !inPeer.has(i));
    const rank = (key: "quality" | "active") => [
      ...[...scored].sort((x, y) => x[key] - y[key]).map((s) => s.i),
      ...rest,
    ];
    return [
      {
        name: "CROWDLAB (cleanlab)",
        recovery: recoveryAtBudgets(rank("quality"), visible.current, kept, truth, BUDGETS),
        seconds,
      },
      {
        name: "ActiveLab (cleanlab)",
        recovery: recoveryAtBudgets(rank("active"), visible.current, kept, truth, BUDGETS),
        seconds,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
