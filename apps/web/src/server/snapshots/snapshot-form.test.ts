import { describe, expect, it } from "vitest";
import { parseWithField } from "../http";
import { ZSnapshotForm } from "./snapshot-form";

describe("ZSnapshotForm", () => {
  it("accepts a method with defaults for smoothing", () => {
    const r = parseWithField(ZSnapshotForm, { datasetId: "d", method: "ds" });
    expect(r).toEqual({ ok: true, value: { datasetId: "d", method: "ds", eps: 0, q: "crowd" } });
  });

  it.each([
    ["method", "median"],
    ["eps", 2],
    ["q", "gaussian"],
    ["maxIterations", 0],
  ])("names %s when it is %s", (field, value) => {
    const r = parseWithField(ZSnapshotForm, { datasetId: "d", method: "mv", [field]: value });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.field).toBe(field);
  });
});
