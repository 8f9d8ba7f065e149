// Concord beside Toloka's crowd-kit on the real crowds with gold (../shared/datasets/crowd/{dog,rte}): accuracy on
// gold of every method both have, measured in the same run, and times. crowd-kit runs through
// ../shared/bench/crowdkit_peer.py (source in ../shared/peers/crowd-kit) with a python3 that has pandas and scipy.
// Accuracy is crowd-kit's: hard label == gold (ties: lowest class, which is also crowd-kit's pick), so the two
// columns are the same measure. The acceptance line: concord >= crowd-kit - 0.005 for every method.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadVotes } from "../src/cli/load";
import { accuracyOnGold, aggregate, type TMethod } from "../src/index";

const METHODS: TMethod[] = ["mv", "wawa", "zbs", "onecoin", "ds", "glad", "mace"];
const SETS = ["dog", "rte"];
const MARGIN = 0.005;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const shared = process.env.CONCORD_SHARED ?? path.resolve(repoRoot, "../shared");
const crowd = path.join(shared, "datasets/crowd");
const peer = path.join(shared, "bench/crowdkit_peer.py");
if (!SETS.every((s) => existsSync(path.join(crowd, s, "votes.csv")))) {
  console.log(`real crowds: skipped, ${crowd} not found (set CONCORD_SHARED)`);
  process.exit(0);
}

type TRow = { acc: number; ms: number; iterations: number; stop: string };
const ours = new Map<string, TRow>();
for (const name of SETS) {
  const votes = path.join(crowd, name, "votes.csv");
  const goldFile = path.join(crowd, name, "gold.csv");
  const { set, gold } = loadVotes(
    readFileSync(votes, "utf8"),
    votes,
    readFileSync(goldFile, "utf8"),
    goldFile,
  );
  for (const m of METHODS) {
    aggregate(set, m); // warm-up: the timed run below is without JIT compilation
    const t0 = performance.now();
    const r = aggregate(set, m);
    const ms = performance.now() - t0;
    const acc = accuracyOnGold(r, gold!, { ties: "hard" }).accuracy;
    ours.set(`${name} ${m}`, { acc, ms, iterations: r.iterations, stop: r.stopReason ?? "-" });
  }
}

// A python3 that can import crowd-kit's dependencies: Debian's first (the peer's documented interpreter).
function findPython(): string | null {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", "import pandas, scipy, attr, tqdm, sklearn"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return null;
}

const theirs = new Map<string, { acc: number; s: number } | string>();
let peerNote = "";
const python = existsSync(peer) ? findPython() : null;
if (!existsSync(peer)) peerNote = `crowd-kit not run: ${peer} not found`;
else if (!python)
  peerNote =
    "crowd-kit not run: no python3 with pandas + scipy (apt-get install python3-pandas python3-scipy python3-attr python3-tqdm python3-nltk python3-sklearn)";
else {
  const t0 = performance.now();
  const r = spawnSync(
    python,
    [peer, "--methods", METHODS.join(","), ...SETS.map((s) => path.join(crowd, s))],
    { encoding: "utf8", env: { ...process.env, PYTHONWARNINGS: "ignore" } },
  );
  peerNote = `crowd-kit: ${python} ${path.relative(process.cwd(), peer)}, ${((performance.now() - t0) / 1000).toFixed(0)} s`;
  if (r.status !== 0) peerNote += `, exit ${r.status}: ${r.stderr.trim().split("\n").pop()}`;
  for (const line of r.stdout.split("\n")) {
    const ok = /^(\S+) (\S+) acc=([\d.]+) time=([\d.]+)s$/.exec(line.trim());
    if (ok) theirs.set(`${ok[1]} ${ok[2]}`, { acc: Number(ok[3]), s: Number(ok[4]) });
    const err = /^(\S+) (\S+) error=(.*)$/.exec(line.trim());
    if (err) theirs.set(`${err[1]} ${err[2]}`, `error ${err[3]}`);
  }
}

console.log(
  `real crowds with gold: accuracy = hard label == gold; concord >= crowd-kit - ${MARGIN} required (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`,
);
console.log(
  "| set | method | concord | crowd-kit | concord - crowd-kit | ok | concord ms | crowd-kit ms | iterations, stop |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
let failed = 0;
for (const name of SETS) {
  for (const m of METHODS) {
    const a = ours.get(`${name} ${m}`)!;
    const b = theirs.get(`${name} ${m}`);
    const peerAcc = typeof b === "object" ? b.acc : null;
    const diff = peerAcc === null ? 0 : Math.round((a.acc - peerAcc) * 1e4) / 1e4 + 0; // + 0 turns -0 into 0
    const ok = peerAcc === null ? "-" : a.acc >= peerAcc - MARGIN ? "yes" : "NO";
    if (ok === "NO") failed++;
    console.log(
      `| ${name} | ${m} | ${a.acc.toFixed(4)} | ${peerAcc === null ? (b ?? "-") : peerAcc.toFixed(4)} | ${peerAcc === null ? "-" : (diff >= 0 ? "+" : "") + diff.toFixed(4)} | ${ok} | ${a.ms.toFixed(0)} | ${typeof b === "object" ? (b.s * 1000).toFixed(0) : "-"} | ${a.iterations}, ${a.stop} |`,
    );
  }
}
console.log(peerNote);
if (failed) {
  console.log(`${failed} method(s) below crowd-kit - ${MARGIN}`);
  process.exitCode = 1;
}
