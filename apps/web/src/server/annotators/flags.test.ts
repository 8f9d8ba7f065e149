import { describe, expect, it } from "vitest";
import { annotatorFlags, FLAG_RULES, wilsonUpper } from "./flags";

const base = {
  votes: 200,
  numClasses: 10,
  skill: 0.8,
  skillMethod: "ds",
  agreement: 0.75,
  comparable: 200,
  timedVotes: 200,
  fastVotes: 10,
};

describe("annotator flags", () => {
  it("Wilson upper bound matches the closed form (p = 0.5, n = 100 -> 0.5962)", () => {
    expect(wilsonUpper(0.5, 100)).toBeCloseTo(0.5962, 4);
    expect(wilsonUpper(0, 20)).toBeCloseTo(0.1611, 4);
    expect(wilsonUpper(0.3, 0)).toBe(1);
  });
  it("raises nothing for a reliable annotator, and nothing below the minimum of votes", () => {
    expect(annotatorFlags(base)).toEqual([]);
    expect(
      annotatorFlags({ ...base, votes: FLAG_RULES.minVotes - 1, skill: 0.1, agreement: 0, fastVotes: 200 }),
    ).toEqual([]);
  });
  it("flags a random clicker (skill near chance, low agreement) and a too-fast spammer", () => {
    const random = annotatorFlags({ ...base, skill: 0.11, agreement: 0.12 });
    expect(random.map((f) => f.kind)).toEqual(["low-skill", "low-agreement"]);
    expect(random[0]!.detail).toBe("ds expected accuracy 11%, chance is 10%");
    expect(random[1]!.detail).toMatch(
      /^agrees with the others on 12% of 200 votes \(95% upper bound 17% < 40%\)$/,
    );
    const fast = annotatorFlags({ ...base, fastVotes: 150 });
    expect(fast).toEqual([
      { kind: "too-fast", label: "spammer? (too fast)", detail: "75% of 200 timed votes under 500 ms" },
    ]);
  });
  it("does not flag low agreement it cannot tell from chance: 30% of 20 votes has an upper bound above 40%", () => {
    expect(annotatorFlags({ ...base, agreement: 0.3, comparable: 20 })).toEqual([]);
    expect(annotatorFlags({ ...base, agreement: 0.3, comparable: 400 }).map((f) => f.kind)).toEqual([
      "low-agreement",
    ]);
  });
});
