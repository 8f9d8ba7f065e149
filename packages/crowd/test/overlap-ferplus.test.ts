import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bayesPolicy, fitPanelPrior, leadPolicy, simulateOverlap } from "../src/index";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const shared = process.env.CONCORD_SHARED ?? path.resolve(repoRoot, "../shared");
const ferplus = path.join(shared, "datasets/ferplus");
const present = existsSync(path.join(ferplus, "FER2013Valid/label.csv"));
if (!present) console.warn(`[crowd] skipping FER+ overlap test: ${ferplus} not found (set CONCORD_SHARED)`);

function readCounts(split: string): Float64Array {
  const lines = readFileSync(path.join(ferplus, split, "label.csv"), "utf8")
    .split(/\r?\n/)
    .filter(Boolean);
  return Float64Array.from(lines.flatMap((l) => l.split('"')[2]!.split(",").slice(1, 11).map(Number)));
}

describe.skipIf(!present)("dynamic overlap on FER+ votes (prior: Train, replay: Valid)", () => {
  it("reaches >= 99% agreement with the full 10-vote majority at <= 4.0 votes per image", () => {
    const prior = fitPanelPrior(readCounts("FER2013Train"), 10, 10);
    const valid = readCounts("FER2013Valid");
    const naive = simulateOverlap(valid, 10, leadPolicy(3), { seed: 7 });
    expect(naive.meanVotes).toBeGreaterThan(5);
    const bayes = simulateOverlap(
      valid,
      10,
      bayesPolicy({ prior, targetConfidence: 0.98, reference: "majority" }),
      {
        seed: 7,
      },
    );
    expect(bayes.faces).toBe(3579);
    expect(bayes.meanVotes).toBeLessThanOrEqual(4.0);
    expect(bayes.agreementMajority).toBeGreaterThanOrEqual(0.99);
  }, 120_000);
});
