import { describe, expect, it } from "vitest";
import { compareValues, sortRows } from "./sort";

describe("sortRows", () => {
  const rows = [
    { name: "b10", v: 2 },
    { name: "b9", v: null },
    { name: "a", v: 10 },
    { name: "C", v: 2 },
  ];

  it("sorts numbers numerically and keeps missing values last in both directions", () => {
    expect(sortRows(rows, (r) => r.v, "asc").map((r) => r.name)).toEqual(["b10", "C", "a", "b9"]);
    expect(sortRows(rows, (r) => r.v, "desc").map((r) => r.name)).toEqual(["a", "b10", "C", "b9"]);
  });

  it("sorts strings naturally and case-insensitively", () => {
    expect(sortRows(rows, (r) => r.name, "asc").map((r) => r.name)).toEqual(["a", "b9", "b10", "C"]);
  });

  it("treats NaN and empty string as missing", () => {
    expect(compareValues(Number.NaN, 1, "asc")).toBe(1);
    expect(compareValues("", "x", "desc")).toBe(1);
    expect(compareValues(null, undefined, "asc")).toBe(0);
  });
});
