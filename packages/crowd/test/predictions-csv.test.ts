// The predictions CSV both roads write (concord-eval --predictions: faces by file name; the web app's export:
// faces by externalId) and the lookup the replay and the finder's consumers use to find a face in it.
import { describe, expect, it } from "vitest";
import { formatPredictionsCsv, parsePredictionsCsv, predictionRowFinder } from "../src/predictions-csv";

const classes = ["neutral", "happiness"];

describe("predictionRowFinder", () => {
  it("finds a face by its file name or by its name without .png (the web export's externalId)", () => {
    const text = formatPredictionsCsv({
      images: ["fer0000001.png", "fer0000002"],
      splits: ["VALID", "VALID"],
      classes,
      probs: new Float64Array([0.9, 0.1, 0.2, 0.8]),
    });
    const rowOf = predictionRowFinder(parsePredictionsCsv(text, "p.csv"));
    expect(rowOf("fer0000001.png")).toBe(0);
    expect(rowOf("fer0000002.png")).toBe(1); // exported by externalId
    expect(rowOf("fer0000002.PNG")).toBe(1);
    expect(rowOf("fer0000003.png")).toBeUndefined();
  });

  it("prefers the exact name when both forms are present", () => {
    const rowOf = predictionRowFinder({ images: ["a", "a.png"] });
    expect(rowOf("a.png")).toBe(1);
  });
});
