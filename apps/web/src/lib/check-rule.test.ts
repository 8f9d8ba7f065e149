import { describe, expect, it } from "vitest";
import {
  describeCheckRule,
  judgeChecks,
  mostCorrectThatPauses,
  normalQuantile,
  pauseReason,
  DEFAULT_CHECK_SETTINGS as S,
  warningText,
  wilsonInterval,
} from "./check-rule";

const outcomes = (right: number, wrong: number) => [
  ...Array<boolean>(right).fill(true),
  ...Array<boolean>(wrong).fill(false),
];

describe("normalQuantile", () => {
  it("matches the standard normal table in the centre and both tails", () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.9)).toBeCloseTo(1.281551566, 8);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829304, 8);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 8);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232306, 8);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe("wilsonInterval", () => {
  // Newcombe (1998), Stat Med 17:857, table I, method 3 (Wilson score, no continuity correction), 95%.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])("%i of %i -> [%f, %f]", (k, n, lower, upper) => {
    const w = wilsonInterval(k, n, 0.95);
    expect(w.lower).toBeCloseTo(lower, 4);
    expect(w.upper).toBeCloseTo(upper, 4);
  });

  it("2 of 10 by hand: centre (0.2 + z²/20) / (1 + z²/10) = 0.28326, half-width 0.22658", () => {
    const w = wilsonInterval(2, 10, 0.95);
    expect(w.lower).toBeCloseTo(0.05668, 4);
    expect(w.upper).toBeCloseTo(0.50984, 4);
  });

  it("0 of 10: upper = (z²/10) / (1 + z²/10) = 0.27752; no answers: [0, 1]", () => {
    expect(wilsonInterval(0, 10, 0.95).upper).toBeCloseTo(0.27752, 4);
    expect(wilsonInterval(0, 0, 0.95)).toEqual({ lower: 0, upper: 1 });
  });
});

describe("judgeChecks (defaults: 10 answers minimum, window 20, 60%, 95%)", () => {
  it("never pauses before the minimum: 9 wrong of 9 is a warning with 1 answer to go", () => {
    const s = judgeChecks(outcomes(0, 9), S);
    expect(s).toMatchObject({ answered: 9, correct: 0, toMinimum: 1, status: "warning" });
  });

  it("1 of 5 (the old rule paused here) is only a warning", () => {
    expect(judgeChecks([true, false, false, false, false], S).status).toBe("warning");
  });

  it("at the minimum: 2 of 10 pauses (upper 0.510), 3 of 10 warns (upper 0.603), 6 of 10 is fine", () => {
    const two = judgeChecks(outcomes(2, 8), S);
    expect(two.status).toBe("pause");
    expect(two.interval.upper).toBeCloseTo(0.50984, 4);
    const three = judgeChecks(outcomes(3, 7), S);
    expect(three.status).toBe("warning");
    expect(three.interval.upper).toBeCloseTo(0.60322, 4);
    expect(judgeChecks(outcomes(6, 4), S).status).toBe("ok");
  });

  it("judges only the latest `window` answers (newest first)", () => {
    // 20 recent right answers, 30 older wrong ones: the window holds only the right ones.
    const s = judgeChecks(outcomes(20, 30), S);
    expect(s).toMatchObject({ answered: 20, correct: 20, accuracy: 1, status: "ok" });
    // 7 of the last 20 right (upper 0.567 < 0.6) pauses; 8 of 20 (upper 0.613) does not.
    expect(judgeChecks([...outcomes(7, 13), ...outcomes(30, 0)], S).status).toBe("pause");
    expect(judgeChecks([...outcomes(8, 12), ...outcomes(0, 30)], S).status).toBe("warning");
  });

  it("with no answers there is nothing to judge", () => {
    expect(judgeChecks([], S)).toMatchObject({ answered: 0, accuracy: null, toMinimum: 10, status: "ok" });
  });

  it("a warning always comes before a pause, answer by answer (random sequences, several settings)", () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const settings of [
      S,
      { ...S, minAnswers: 5, window: 10 },
      { ...S, threshold: 0.8, confidence: 0.9 },
      { ...S, minAnswers: 20, window: 50, threshold: 0.7, confidence: 0.99 },
    ]) {
      for (let run = 0; run < 300; run++) {
        const p = rand();
        const newestFirst: boolean[] = [];
        let before = judgeChecks(newestFirst, settings).status;
        for (let i = 0; i < 80 && before !== "pause"; i++) {
          newestFirst.unshift(rand() < p);
          const now = judgeChecks(newestFirst, settings).status;
          if (now === "pause") expect(before).toBe("warning");
          before = now;
        }
      }
    }
  });
});

describe("mostCorrectThatPauses and the rule in words", () => {
  it("defaults: 2 of 10 and 7 of 20", () => {
    expect(mostCorrectThatPauses(10, S)).toBe(2);
    expect(mostCorrectThatPauses(20, S)).toBe(7);
    expect(mostCorrectThatPauses(1, S)).toBe(-1);
  });

  it("says the minimum, the window and an example", () => {
    const text = describeCheckRule(S).join(" ");
    expect(text).toContain("Nothing pauses you before 10 check answers");
    expect(text).toContain("last 20 check answers");
    expect(text).toContain("2 or fewer right out of 10 pauses, 3 does not");
    expect(text).toContain("7 or fewer right out of 20 pauses, 8 does not");
  });
});

describe("pause and warning texts", () => {
  it("name the answers, the bound, the requirement and My checks", () => {
    const s = judgeChecks(outcomes(2, 8), S);
    expect(pauseReason("FER+", s, S)).toBe(
      'Your last 10 check answers on "FER+": 2 right (20%). Even the upper end of the 95% confidence interval of ' +
        "your accuracy, 51%, is below the 60% this dataset requires. Your answers are listed under My checks; an " +
        "admin can review them there and resume your account.",
    );
    expect(warningText("FER+", { answered: 9, correct: 0, toMinimum: 1, threshold: 0.6 })).toContain(
      "Nothing pauses you before 1 more check answer.",
    );
    expect(warningText("FER+", { answered: 4, correct: 1, toMinimum: 6, threshold: 0.6 })).toMatch(
      /1 of your last 4 right \(25%\), below the 60% required\. Nothing pauses you before 6 more check answers\./,
    );
  });
});
