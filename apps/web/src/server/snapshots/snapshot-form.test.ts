import { describe, expect, it } from "vitest";
import { ZSnapshotForm } from "./snapshot-form";

describe("ZSnapshotForm", () => {
  it("accepts a method with defaults for smoothing", () => {
    const r = ZSnapshotForm.safeParse({ datasetId: "d", method: "ds" });
    expect(r.data).toEqual({ datasetId: "d", method: "ds", eps: 0, q: "crowd" });
  });

  it.each([
    ["method", "median"],
    ["eps", 2],
    ["q", "gaussian"],
    ["maxIterations", 0],
  ])("names %s when it is %s", (field, value) => {
    const r = ZSnapshotForm.safeParse({ datasetId: "d", method: "mv", [field]: value });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual([field]);
  });
});
