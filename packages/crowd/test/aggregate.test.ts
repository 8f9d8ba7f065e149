import { describe, expect, it } from "vitest";
import { accuracyOnGold, aggregate, buildVoteSet } from "../src/index";

const row = (p: Float64Array, i: number, C: number) => Array.from(p.subarray(i * C, i * C + C));

// Two items, three workers: w0 and w1 agree with the majority, w2 always answers 1.
const small = () =>
  buildVoteSet({
    numClasses: 2,
    votes: [
      { item: 0, worker: 0, label: 0 },
      { item: 0, worker: 1, label: 0 },
      { item: 0, worker: 2, label: 1 },
      { item: 1, worker: 0, label: 1 },
      { item: 1, worker: 1, label: 1 },
      { item: 1, worker: 2, label: 1 },
    ],
  });

describe("majority vote", () => {
  it("gives vote shares, takes the lowest tied class by default and counts tallies", () => {
    const set = buildVoteSet({
      numClasses: 3,
      numItems: 3,
      votes: { item: [0, 0, 1, 1, 1], worker: [0, 1, 0, 1, 2], label: [2, 1, 0, 0, 2] },
      tallies: [{ item: 1, counts: [0, 0, 1] }],
    });
    const r = aggregate(set, "mv");
    expect(row(r.posteriors, 0, 3)).toEqual([0, 0.5, 0.5]);
    expect(row(r.posteriors, 1, 3)).toEqual([0.5, 0, 0.5]); // 2 x class 0 vs 1 + 1 tally x class 2
    expect(row(r.posteriors, 2, 3)).toEqual([0, 0, 0]); // no votes
    expect(Array.from(r.labels)).toEqual([1, 0, -1]);
    const gold = Int32Array.from([2, 2, -1]);
    expect(accuracyOnGold(r, gold)).toMatchObject({ accuracy: 0.5, items: 2 });
    expect(accuracyOnGold(r, gold, { ties: "hard" }).accuracy).toBe(0);
  });

  it("breaks ties at random only when asked, reproducibly for a seed", () => {
    const set = buildVoteSet({ numClasses: 2, votes: { item: [0, 0], worker: [0, 1], label: [0, 1] } });
    const a = aggregate(set, "mv", { tieBreak: "random", seed: 3 }).labels[0];
    expect(aggregate(set, "mv", { tieBreak: "random", seed: 3 }).labels[0]).toBe(a);
    const seen = new Set(
      Array.from({ length: 20 }, (_, s) => aggregate(set, "mv", { tieBreak: "random", seed: s }).labels[0]),
    );
    expect(seen).toEqual(new Set([0, 1]));
  });
});

describe("Dawid-Skene", () => {
  it("matches a hand-computed first EM iteration (smoothing 1)", () => {
    // Hard MV init T = [1,0],[0,1]; priors 1/2; w0,w1 confusion [[2/3,1/3],[1/3,2/3]]; w2 [[1/3,2/3],[1/3,2/3]].
    // Item 0 (votes 0, 0, 1): class 0 ~ 2/3*2/3*2/3 = 8/27, class 1 ~ 1/3*1/3*2/3 = 2/27 -> 0.8 / 0.2.
    // Precision 10: posteriors and log-probabilities sit on a 2^-34 grid (3e-11; see onGrid).
    const r = aggregate(small(), "ds", { maxIterations: 1, smoothing: 1 });
    expect(row(r.posteriors, 0, 2)[0]).toBeCloseTo(0.8, 10);
    expect(row(r.posteriors, 1, 2)[1]).toBeCloseTo(0.8, 10);
    expect(Array.from(r.classPriors!)).toEqual([0.5, 0.5]);
    expect(Array.from(r.workerConfusion!.subarray(8, 12))).toEqual(
      [1, 2, 1, 2].map((x) => expect.closeTo(x / 3, 10)),
    );
    expect(r.iterations).toBe(1);
  });

  it("one-coin matches a hand-computed first iteration (smoothing 1)", () => {
    // MAP skills (hits + 1 + s) / (votes + 1 + 2s), s = 1: w0 = w1 = 4/5, w2 = (1 + 2) / 5 = 3/5.
    // Item 0: class 0 ~ 4/5*4/5*2/5 = 32/125, class 1 ~ 1/5*1/5*3/5 = 3/125 -> 32/35.
    const r = aggregate(small(), "onecoin", { maxIterations: 1, smoothing: 1 });
    expect(Array.from(r.workerSkill!)).toEqual([0.8, 0.8, 0.6].map((x) => expect.closeTo(x, 12)));
    expect(row(r.posteriors, 0, 2)[0]).toBeCloseTo(32 / 35, 10);
  });

  it("is deterministic, converges and uses gold for initialisation or clamping", () => {
    const set = small();
    const a = aggregate(set, "ds");
    expect(aggregate(set, "ds").posteriors).toEqual(a.posteriors);
    expect(a.converged).toBe(true);
    const clamped = aggregate(set, "ds", { gold: [{ item: 0, label: 1 }], goldMode: "clamp" });
    expect(row(clamped.posteriors, 0, 2)).toEqual([0, 1]);
    const seeded = aggregate(set, "ds", { gold: [{ item: 0, label: 1 }], maxIterations: 1, smoothing: 1 });
    // Gold init T0 = [0,1]: every worker looks like "always 1" -> item 0 leans to class 1.
    expect(seeded.labels[0]).toBe(1);
  });

  it("models anonymous tallies as one population without inventing workers", () => {
    const set = buildVoteSet({
      numClasses: 2,
      votes: { item: [0, 1], worker: [0, 0], label: [0, 1] },
      tallies: [
        { item: 0, counts: [3, 1] },
        { item: 1, counts: [0, 4] },
      ],
    });
    const r = aggregate(set, "ds");
    expect(r.workerConfusion!.length).toBe(4); // one identified worker x 2 x 2
    expect(r.anonymous?.confusion?.length).toBe(4);
    expect(Array.from(r.labels)).toEqual([0, 1]);
  });
});

describe("Wawa and zero-based skill", () => {
  it("Wawa weights workers by accuracy against majority vote (hand-computed)", () => {
    // Against MV (item0 -> 0, item1 -> 1): w0 = w1 = 1, w2 = 1/2.
    // Item 0 scores: class 0 = 1 + 1, class 1 = 1/2 -> posterior [0.8, 0.2].
    const r = aggregate(small(), "wawa");
    expect(Array.from(r.workerSkill!)).toEqual([1, 1, 0.5]);
    expect(row(r.posteriors, 0, 2)[0]).toBeCloseTo(0.8, 12);
  });

  it("zero-based skill converges to the same fixed point here", () => {
    const r = aggregate(small(), "zbs");
    expect(r.converged).toBe(true);
    expect(r.workerSkill![0]).toBeCloseTo(1, 3);
    expect(r.workerSkill![2]).toBeCloseTo(0.5, 3);
    expect(Array.from(r.labels)).toEqual([0, 1]);
  });
});

// Five items; w0..w2 are always right, w3 always answers 0 (a spammer), truth = [0, 1, 1, 0, 1].
const withSpammer = () => {
  const truth = [0, 1, 1, 0, 1];
  const votes = truth.flatMap((t, item) => [
    ...[0, 1, 2].map((worker) => ({ item, worker, label: t })),
    { item, worker: 3, label: 0 },
  ]);
  return { set: buildVoteSet({ numClasses: 2, votes }), truth };
};

describe("GLAD and MACE", () => {
  it("GLAD recovers the truth and ranks the spammer's ability last", () => {
    const { set, truth } = withSpammer();
    const r = aggregate(set, "glad");
    expect(Array.from(r.labels)).toEqual(truth);
    const a = Array.from(r.workerSkill!);
    expect(Math.min(...a.slice(0, 3))).toBeGreaterThan(a[3]!);
    expect(r.itemEasiness!.every((b) => b > 0)).toBe(true);
  });

  it("MACE recovers the truth and gives the constant spammer low competence", () => {
    const { set, truth } = withSpammer();
    const r = aggregate(set, "mace");
    expect(Array.from(r.labels)).toEqual(truth);
    // The spammer is right only on the 2 items whose truth is 0: theta well below the others.
    const th = Array.from(r.workerSkill!);
    expect(th[3]!).toBeLessThan(0.5);
    expect(Math.min(...th.slice(0, 3))).toBeGreaterThan(0.8);
    expect(aggregate(set, "mace", { seed: 1 }).posteriors).toEqual(r.posteriors);
  });
});

describe("tallies and gold across methods", () => {
  // Item 0: one identified vote for 0 plus tallies 3 x 0, 1 x 1; item 1: identified 1 plus tallies 4 x 1.
  const tallied = () =>
    buildVoteSet({
      numClasses: 2,
      votes: { item: [0, 1], worker: [0, 0], label: [0, 1] },
      tallies: [
        { item: 0, counts: [3, 1] },
        { item: 1, counts: [0, 4] },
      ],
    });

  it("every model with parameters reports one anonymous population and one identified worker", () => {
    for (const m of ["wawa", "zbs", "onecoin", "ds", "glad", "mace"] as const) {
      const r = aggregate(tallied(), m);
      expect(r.workerSkill!.length).toBe(1);
      expect(r.anonymous).not.toBeNull();
      expect(Array.from(r.labels)).toEqual([0, 1]);
    }
  });

  it("GLAD and MACE can clamp gold items", () => {
    for (const m of ["glad", "mace", "onecoin"] as const) {
      const r = aggregate(small(), m, { gold: [{ item: 1, label: 0 }], goldMode: "clamp" });
      expect(row(r.posteriors, 1, 2)).toEqual([1, 0]);
    }
  });
});

describe("option validation", () => {
  it("rejects negative smoothing and unknown methods", () => {
    expect(() => aggregate(small(), "ds", { smoothing: -1 })).toThrow(/smoothing/);
    expect(() => aggregate(small(), "nope" as "ds")).toThrow(/unknown method/);
  });
});
