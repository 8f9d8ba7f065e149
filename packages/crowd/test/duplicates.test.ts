import { describe, expect, it } from "vitest";
import { InputError } from "../src/cli/csv";
import { loadVotes } from "../src/cli/load";
import { aggregate, describeDuplicates, resolveDuplicates, type TDuplicatePolicy } from "../src/index";

describe("repeated worker/task rows", () => {
  // Rows 2 and 4 repeat pair a (row 4 changes the answer), row 6 repeats pair b; row 3 is anonymous.
  const keys = ["a", "b", "a", null, "a", "c", "b"];
  const labels = ["x", "y", "x", "z", "y", "y", "y"];
  const kept = (policy: TDuplicatePolicy) =>
    Array.from(resolveDuplicates(keys, policy, labels).keep.entries())
      .filter(([, k]) => k)
      .map(([row]) => row);

  it("keeps every row, the last or the first of each pair, and counts what it did", () => {
    expect(kept("keep-all")).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(kept("error")).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(kept("keep-last")).toEqual([3, 4, 5, 6]);
    expect(kept("keep-first")).toEqual([0, 1, 3, 5]);
    const { report } = resolveDuplicates(keys, "keep-last", labels);
    expect(report).toEqual({
      policy: "keep-last",
      repeated: 3,
      changed: 1,
      pairs: 2,
      dropped: 3,
      first: { row: 2, earlier: 0 },
    });
    expect(describeDuplicates(report)).toBe(
      "3 repeated worker/task rows (2 pairs, 1 with a changed answer); keep-last dropped 3 earlier rows",
    );
    expect(resolveDuplicates(keys, "keep-all").report.dropped).toBe(0);
  });

  // w1 answers t1 twice: cat, then dog. w2 says cat on t1.
  const VOTES = "task,worker,label\nt1,w1,cat\nt1,w2,cat\nt1,w1,dog\nt2,w2,dog\n";
  const mvRow = (policy: TDuplicatePolicy) => {
    const { set } = loadVotes(VOTES, "votes.csv", null, "", undefined, policy);
    return { votes: set.numVotes, t1: Array.from(aggregate(set, "mv").posteriors.subarray(0, 2)) };
  };

  it("loads a vote file under each policy", () => {
    expect(mvRow("keep-all")).toEqual({ votes: 4, t1: [2 / 3, 1 / 3] });
    expect(mvRow("keep-last")).toEqual({ votes: 3, t1: [0.5, 0.5] });
    expect(mvRow("keep-first")).toEqual({ votes: 3, t1: [1, 0] });
    expect(() => mvRow("error")).toThrow(InputError);
    expect(() => mvRow("error")).toThrow(/votes\.csv:4: worker "w1" already voted on task "t1" \(line 2\)/);
  });

  it("aggregates repeats with every method under keep-all (each repeat an independent vote)", () => {
    const { set } = loadVotes(VOTES, "votes.csv", null, "", undefined, "keep-all");
    for (const m of ["mv", "wawa", "zbs", "onecoin", "ds", "glad", "mace"] as const) {
      const r = aggregate(set, m);
      expect(r.labels[0]).toBe(0);
      expect(r.labels[1]).toBe(1);
    }
  });
});
