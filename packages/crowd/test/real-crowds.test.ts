import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadVotes } from "../src/cli/load";
import { accuracyOnGold, aggregate } from "../src/index";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const shared = process.env.CONCORD_SHARED ?? path.resolve(repoRoot, "../shared");
const crowd = path.join(shared, "datasets/crowd");
const present =
  existsSync(path.join(crowd, "dog/votes.csv")) && existsSync(path.join(crowd, "rte/votes.csv"));
if (!present) console.warn(`[crowd] skipping real-crowd tests: ${crowd} not found (set CONCORD_SHARED)`);

// Figures from datasets/crowd/README.md (independent implementation; MV ties split evenly).
const README = { dog: { mv: 0.822, ds: 0.843 }, rte: { mv: 0.897, ds: 0.928 } };

describe.skipIf(!present)("real crowds with gold (../shared/datasets/crowd)", () => {
  for (const name of ["dog", "rte"] as const) {
    it(`${name}: MV within 0.002, DS within 0.01 of the README, DS beats MV`, () => {
      const votes = path.join(crowd, name, "votes.csv");
      const goldFile = path.join(crowd, name, "gold.csv");
      const { set, gold } = loadVotes(
        readFileSync(votes, "utf8"),
        votes,
        readFileSync(goldFile, "utf8"),
        goldFile,
      );
      const mv = accuracyOnGold(aggregate(set, "mv"), gold!).accuracy;
      const ds = accuracyOnGold(aggregate(set, "ds"), gold!).accuracy;
      expect(Math.abs(mv - README[name].mv)).toBeLessThanOrEqual(0.002);
      expect(Math.abs(ds - README[name].ds)).toBeLessThanOrEqual(0.01);
      expect(ds).toBeGreaterThan(mv);
    });
  }
});
