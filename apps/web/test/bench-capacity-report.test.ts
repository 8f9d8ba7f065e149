// The open-loop bench's per-second view of the vote latency (bench/capacity-report.ts): it tells a stall (a few
// seconds far above the rest) from a queue (every second slow), so its bucketing must put each vote in the
// second it was sent.
import { describe, expect, it } from "vitest";
import { bySecond } from "../bench/capacity-report";

describe("bySecond", () => {
  it("puts each vote in the second of the window it was sent and takes each second's p99 and max", () => {
    const starts = [10, 999, 1000, 1500, 2999, 2000];
    const latencies = [5, 7, 100, 3, 9, 8];
    const s = bySecond(starts, latencies, 3);
    expect(s.map((b) => b.n)).toEqual([2, 2, 2]);
    expect(s.map((b) => b.max)).toEqual([7, 100, 9]);
    expect(s[1]?.p99).toBeGreaterThan(3);
    expect(s[1]?.p99).toBeLessThanOrEqual(100);
  });

  it("keeps a second without votes (n 0) and clamps sends at the window's edges into its first and last second", () => {
    const s = bySecond([-3, 2500, 3200], [1, 2, 4], 3);
    expect(s.map((b) => b.n)).toEqual([1, 0, 2]);
    expect(Number.isNaN(s[1]?.max)).toBe(true);
    expect(s[2]?.max).toBe(4);
  });
});
