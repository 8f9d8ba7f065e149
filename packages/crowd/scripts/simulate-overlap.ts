// Dynamic-overlap simulation on FER+ votes: fit the panel prior on FER2013Train, replay every
// FER2013Valid face's 10 votes in random orders, and print votes/image vs agreement with the full
// 10-vote plurality (ties split) for the naive "leader k ahead" rules and for needsMoreVotes.
// Usage: npm run simulate -w @concord/crowd [-- --replays 5] [--all]
import path from "node:path";
import { createStoppingPlan } from "../src/optimal-stopping";
import { bayesPolicy, leadPolicy, simulateOverlap, type TOverlapPolicy } from "../src/overlap-simulation";
import { fitPanelPrior } from "../src/plurality";
import { ferplusFolder, readPanels } from "./ferplus-panels";

const ferplus = ferplusFolder();
if (!ferplus) {
  console.error("FER+ votes not found under ../shared/datasets/ferplus (set CONCORD_SHARED)");
  process.exit(1);
}
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const replays = arg("replays", 5);

const train = readPanels(path.join(ferplus, "FER2013Train")).counts;
const valid = readPanels(path.join(ferplus, "FER2013Valid")).counts;
const prior = fitPanelPrior(train, 10, 10);
console.log(
  `panel prior: ${prior.weights.length} distinct panels from FER2013Train; replaying FER2013Valid x ${replays}`,
);
console.log(
  "plurality: published label is among the full panel's top classes (all faces); majority: equals the",
);
console.log("class holding > 5 of the 10 votes (faces that have one); split: 1/k credit on tied panels.");
console.log(
  "policy                                  votes/image  plurality  majority    split  stopped early",
);
const pct = (x: number) => `${(100 * x).toFixed(2).padStart(7)}%`;
const row = (name: string, policy: TOverlapPolicy, panels = valid) => {
  const t0 = performance.now();
  const s = simulateOverlap(panels, 10, policy, { replays, seed: 2026 });
  const ms = performance.now() - t0;
  console.log(
    `${name.padEnd(40)}${s.meanVotes.toFixed(2).padStart(11)}  ${pct(s.agreement)}  ${pct(s.agreementMajority)}  ${pct(s.agreementSplit)}  ${(100 * s.stoppedEarly).toFixed(1).padStart(12)}%   (${s.faces} faces, ${ms.toFixed(0)} ms)`,
  );
};
for (const lead of [2, 3, 4]) row(`leader ${lead} ahead`, leadPolicy(lead));
row("leader 3 ahead (replaying FER2013Train)", leadPolicy(3), train);
row("needsMoreVotes, Dirichlet(1), 0.99", bayesPolicy({ targetConfidence: 0.99 }));
for (const target of [0.95, 0.98, 0.99, 0.995, 0.999]) {
  row(`needsMoreVotes, panel prior, ${target}`, bayesPolicy({ targetConfidence: target, prior }));
}
// The plurality plans visit many more states (about a minute each on this machine): only with --all.
if (process.argv.includes("--all")) {
  for (const errorCost of [50, 100]) {
    const plan = createStoppingPlan(prior, errorCost);
    row(`optimal plan (plurality), cost ${errorCost}`, bayesPolicy({ prior, plan }));
  }
}
for (const target of [0.97, 0.98, 0.99, 0.995]) {
  row(
    `needsMoreVotes, majority, ${target}`,
    bayesPolicy({ targetConfidence: target, prior, reference: "majority" }),
  );
}
for (const errorCost of [50, 100, 200]) {
  const plan = createStoppingPlan(prior, errorCost, "majority");
  row(`optimal plan (majority), cost ${errorCost}`, bayesPolicy({ prior, plan }));
}
