import { describe, expect, it } from "vitest";
import { aggregate, buildVoteSet, FERPLUS_LABELS, ferplusProcess, ferplusTarget } from "../src/index";

// Expectations worked by hand from microsoft/FERPlus src/ferplus.py (_process_data + load_folders).
const emo = (xs: Record<number, number>) => Array.from({ length: 8 }, (_, c) => xs[c] ?? 0);
const close = (got: Float64Array | null, want: number[]) => {
  expect(got).not.toBeNull();
  Array.from(got!).forEach((x, c) => {
    expect(x).toBeCloseTo(want[c]!, 12);
  });
};

describe("FER+ schemes (ferplus.py)", () => {
  it("exports the FER+ taxonomy in label.csv order", () => {
    expect(FERPLUS_LABELS).toEqual([
      "neutral",
      "happiness",
      "surprise",
      "sadness",
      "anger",
      "disgust",
      "fear",
      "contempt",
      "unknown",
      "not-a-face",
    ]);
  });

  it("fer0000000 (4,0,0,1,3,2,0,0,0,0): single votes dropped -> 4,3,2 of 9", () => {
    const counts = [4, 0, 0, 1, 3, 2, 0, 0, 0, 0];
    expect(ferplusProcess(counts, "majority")).toBeNull(); // 4 is not > 4.5
    close(ferplusProcess(counts, "probability"), emo({ 0: 4 / 7, 4: 3 / 7 })); // 4 then 3 reach 7 >= 6.75
    close(ferplusProcess(counts, "crossentropy"), emo({ 0: 4 / 7, 4: 3 / 7 }));
    close(ferplusProcess(counts, "multi_target"), emo({ 0: 4 / 7, 4: 3 / 7 })); // >= 0.3 * 9 = 2.7
  });

  it("fer0000002 (5,0,0,3,1,0,0,0,1,0): majority neutral; probability keeps sadness", () => {
    const counts = [5, 0, 0, 3, 1, 0, 0, 0, 1, 0];
    close(ferplusProcess(counts, "majority"), emo({ 0: 1 })); // 5 > 0.5 * 8
    close(ferplusProcess(counts, "probability"), emo({ 0: 5 / 8, 3: 3 / 8 }));
    close(ferplusProcess(counts, "multi_target"), emo({ 0: 5 / 8, 3: 3 / 8 }));
  });

  it("excludes faces topped by unknown / not-a-face, also when unknown ties an emotion", () => {
    for (const mode of ["majority", "probability", "multi_target"] as const) {
      expect(ferplusProcess([0, 0, 0, 0, 0, 0, 0, 0, 7, 3], mode)).toBeNull();
    }
    // probability: 4 neutral taken, unknown shares the max -> dropped; 4 <= 0.5 * 10 -> unknown -> excluded
    expect(ferplusProcess([4, 0, 0, 0, 0, 0, 0, 0, 4, 2], "probability")).toBeNull();
    // 5 neutral + 3 unknown + 2 NF: unknown dropped, but 5 <= 0.5 * 10 -> excluded
    expect(ferplusProcess([5, 0, 0, 0, 0, 0, 0, 0, 3, 2], "probability")).toBeNull();
    // 6 neutral + 3 unknown + 1 NF: the single NF vote goes, unknown is dropped, 6 > 4.5 -> neutral
    close(ferplusProcess([6, 0, 0, 0, 0, 0, 0, 0, 3, 1], "probability"), emo({ 0: 1 }));
  });

  it("applies the 3-emotion cap and the 50% rule", () => {
    close(
      ferplusProcess([3, 3, 3, 1, 0, 0, 0, 0, 0, 0], "probability"),
      emo({ 0: 1 / 3, 1: 1 / 3, 2: 1 / 3 }),
    );
    expect(ferplusProcess([2, 2, 2, 2, 2, 0, 0, 0, 0, 0], "probability")).toBeNull(); // count 5 > 3
    expect(ferplusProcess([2, 2, 2, 2, 2, 0, 0, 0, 0, 0], "multi_target")).toBeNull(); // none >= 3
    expect(() => ferplusProcess([1, 2], "majority")).toThrow(/10 counts/);
  });

  it("training targets follow _process_target", () => {
    const dist = [0.5, 0.5, 0, 0, 0, 0, 0, 0];
    expect(Array.from(ferplusTarget(dist, "crossentropy"))).toEqual(dist);
    const mt = Array.from(ferplusTarget(dist, "multi_target"));
    expect(mt[0]).toBeCloseTo(1, 12);
    expect(mt[2]).toBeCloseTo(0.001, 12);
    expect(Array.from(ferplusTarget(dist, "probability", () => 0.7))).toEqual([0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it("aggregates identified votes plus tallies; excluded faces get -1 and a zero row", () => {
    const set = buildVoteSet({
      numClasses: 10,
      tallies: [
        { item: 0, counts: [5, 0, 0, 3, 1, 0, 0, 0, 1, 0] },
        { item: 1, counts: [0, 0, 0, 0, 0, 0, 0, 0, 7, 3] },
      ],
      votes: [{ item: 0, worker: 0, label: 3 }], // sadness becomes 4 of 9 after outlier removal
    });
    const maj = aggregate(set, "ferplus-majority");
    expect(Array.from(maj.labels)).toEqual([0, -1]);
    expect(Array.from(maj.posteriors.subarray(10, 20))).toEqual(new Array(10).fill(0));
    const prob = aggregate(set, "ferplus-probability");
    expect(prob.posteriors[0]).toBeCloseTo(5 / 9, 12);
    expect(prob.posteriors[3]).toBeCloseTo(4 / 9, 12);
    expect(() => aggregate(buildVoteSet({ numClasses: 3, tallies: [1, 1, 1] }), "ferplus-majority")).toThrow(
      /10-class/,
    );
  });
});
