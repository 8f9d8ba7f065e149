import { describe, expect, it } from "vitest";
import { buildVoteSet, goldToArray, itemCounts, VoteSetError } from "../src/index";

describe("buildVoteSet", () => {
  it("sorts votes by item then worker and indexes them per worker", () => {
    const set = buildVoteSet({
      numClasses: 3,
      votes: [
        { item: 1, worker: 2, label: 0 },
        { item: 0, worker: 1, label: 2 },
        { item: 1, worker: 0, label: 1 },
        { item: 0, worker: 0, label: 2 },
      ],
    });
    expect(set.numItems).toBe(2);
    expect(set.numWorkers).toBe(3);
    expect(Array.from(set.itemOffsets)).toEqual([0, 2, 4]);
    expect(Array.from(set.voteWorker)).toEqual([0, 1, 0, 2]);
    expect(Array.from(set.voteLabel)).toEqual([2, 2, 1, 0]);
    expect(Array.from(set.workerOffsets)).toEqual([0, 2, 3, 4]);
    expect(Array.from(set.workerVotes)).toEqual([0, 2, 1, 3]);
  });

  it("accepts columns and combines anonymous tallies with identified votes in itemCounts", () => {
    const set = buildVoteSet({
      numClasses: 2,
      votes: { item: [0, 1], worker: [0, 0], label: [1, 0] },
      tallies: [{ item: 1, counts: [2, 3] }],
    });
    expect(set.numWorkers).toBe(1);
    expect(Array.from(itemCounts(set))).toEqual([0, 1, 3, 3]);
  });

  it("accepts dense tallies and no identified votes at all", () => {
    const set = buildVoteSet({ numClasses: 2, tallies: [1, 2, 0, 4] });
    expect(set.numItems).toBe(2);
    expect(set.numWorkers).toBe(0);
    expect(Array.from(itemCounts(set))).toEqual([1, 2, 0, 4]);
  });

  it("rejects duplicates, out-of-range ids and bad tallies with a clear error", () => {
    const dup = [
      { item: 0, worker: 0, label: 0 },
      { item: 0, worker: 0, label: 1 },
    ];
    expect(() => buildVoteSet({ numClasses: 2, votes: dup })).toThrow(/duplicate vote: worker 0 on item 0/);
    expect(() => buildVoteSet({ numClasses: 2, votes: [{ item: 0, worker: 0, label: 2 }] })).toThrow(
      VoteSetError,
    );
    expect(() => buildVoteSet({ numClasses: 2, votes: [{ item: -1, worker: 0, label: 0 }] })).toThrow(
      /item -1/,
    );
    expect(() => buildVoteSet({ numClasses: 2, votes: [{ item: 0.5, worker: 0, label: 0 }] })).toThrow(
      /item 0.5/,
    );
    expect(() => buildVoteSet({ numClasses: 1 })).toThrow(/numClasses/);
    expect(() => buildVoteSet({ numClasses: 2, tallies: [{ item: 0, counts: [1] }] })).toThrow(
      /expected 2 counts/,
    );
    expect(() => buildVoteSet({ numClasses: 2, tallies: [1, -1] })).toThrow(/>= 0/);
  });

  it("turns gold lists into a dense array and validates them", () => {
    const set = buildVoteSet({
      numClasses: 2,
      votes: { item: [0, 1, 2], worker: [0, 0, 0], label: [0, 1, 1] },
    });
    expect(Array.from(goldToArray(set, [{ item: 2, label: 0 }]))).toEqual([-1, -1, 0]);
    expect(() => goldToArray(set, [{ item: 3, label: 0 }])).toThrow(/gold item 3/);
    expect(() => goldToArray(set, new Int32Array(2))).toThrow(/2 entries/);
  });
});
