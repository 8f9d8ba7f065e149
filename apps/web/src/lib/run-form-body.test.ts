import { DEFAULT_RUN_CONFIG, ZRunConfig } from "@concord/jobs/run-config";
import { describe, expect, it } from "vitest";
import { runFormBody } from "./run-form-body";

describe("run form body", () => {
  it("an untouched form (levers at their defaults, TTA unchecked) parses to the run config's defaults", () => {
    const body = runFormBody([
      ["datasetId", "d1"],
      ["snapshotId", ""],
      ["schedule", "plateau"],
      ["warmupEpochs", "0"],
      ["ema", "0"],
      ["mixup", ""],
      ["logitAdjust", "0"],
    ]);
    expect(ZRunConfig.parse(body)).toEqual({ ...DEFAULT_RUN_CONFIG, datasetId: "d1" });
  });

  it("carries issue 14's levers as numbers and the TTA checkbox as a boolean", () => {
    const body = runFormBody([
      ["datasetId", "d1"],
      ["model", "fast-wide"],
      ["schedule", "cosine"],
      ["warmupEpochs", "2"],
      ["ema", "0.999"],
      ["mixup", "0.2"],
      ["cutmix", "1"],
      ["logitAdjust", "1"],
      ["ttaEval", "on"],
    ]);
    expect(ZRunConfig.parse(body)).toMatchObject({
      model: "fast-wide",
      schedule: "cosine",
      warmupEpochs: 2,
      ema: 0.999,
      mixup: 0.2,
      cutmix: 1,
      logitAdjust: 1,
      ttaEval: true,
    });
    const refused = ZRunConfig.safeParse(
      runFormBody([
        ["datasetId", "d1"],
        ["ema", "1"],
      ]),
    );
    expect(refused.success).toBe(false);
    if (!refused.success) expect(refused.error.issues[0]?.message).toBe("ema: < 1");
  });
});
