import { describe, expect, it } from "vitest";
import { FERPLUS_EMOTIONS, FERPLUS_LABELS, trainableLabels } from "../src";

describe("trainable labels", () => {
  it("are a taxonomy without its reject classes, in taxonomy order", () => {
    expect(trainableLabels(FERPLUS_LABELS)).toEqual([...FERPLUS_EMOTIONS]);
    expect(trainableLabels(["b", "unknown", "a"])).toEqual(["b", "a"]);
    expect(trainableLabels(["x", "y"])).toEqual(["x", "y"]);
  });
});
