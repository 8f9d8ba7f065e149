import { describe, expect, it } from "vitest";
import { csvLines, splitCsvLine } from "../src/csv";
import { parseFerplusCounts } from "../src/layouts/types";
import { FERPLUS_LABELS, resolveLabel } from "../src/taxonomy";

describe("csv", () => {
  it("splits the FER+ row with its quoted face box", () => {
    expect(splitCsvLine('fer0000000.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,0')).toEqual([
      "fer0000000.png",
      "(0, 0, 48, 48)",
      ..."4,0,0,1,3,2,0,0,0,0".split(","),
    ]);
    expect(splitCsvLine('a,"b ""c""",')).toEqual(["a", 'b "c"', ""]);
    expect(splitCsvLine('a,"unterminated')).toBeUndefined();
  });

  it("numbers lines from 1, skipping blanks, tolerating CRLF and a BOM", () => {
    expect(csvLines("\uFEFFa\r\n\r\nb\n")).toEqual([
      { line: 1, text: "a" },
      { line: 3, text: "b" },
    ]);
  });

  it("parses counts and names negative and malformed ones", () => {
    expect(parseFerplusCounts("4,0,0,1,3,2,0,0,0,0".split(","))).toEqual([4, 0, 0, 1, 3, 2, 0, 0, 0, 0]);
    expect(parseFerplusCounts("4,0,-1,1,3,2,0,0,0,0".split(","))).toMatch(/negative count -1 in column 3/);
    expect(parseFerplusCounts("4,0,x,1,3,2,0,0,0,0".split(","))).toMatch(/malformed count "x"/);
    expect(parseFerplusCounts(["1"])).toMatch(/expected 10/);
  });

  it("resolves labels by key, alias or index", () => {
    expect(resolveLabel("Happy", FERPLUS_LABELS)).toBe("happiness");
    expect(resolveLabel("NF", FERPLUS_LABELS)).toBe("not-a-face");
    expect(resolveLabel("2", FERPLUS_LABELS)).toBe("surprise");
    expect(resolveLabel("joy", FERPLUS_LABELS)).toBeUndefined();
    expect(resolveLabel("10", FERPLUS_LABELS)).toBeUndefined();
  });
});
