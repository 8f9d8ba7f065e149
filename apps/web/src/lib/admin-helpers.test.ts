import { RUN_SCHEMES, ZRunConfig } from "@concord/jobs/run-config";
import { describe, expect, it } from "vitest";
import { compareRows, IN_HEADER, type TCompareRun } from "./compare-rows";
import { describeEta, formatDuration, trainingEta } from "./eta";
import { plural } from "./format";
import { importHeadline, importOutcome } from "./import-outcome";

describe("plural", () => {
  it("says 1 researcher, 2 researchers, 0 admins", () => {
    expect(plural(1, "researcher")).toBe("1 researcher");
    expect(plural(2, "researcher")).toBe("2 researchers");
    expect(plural(0, "admin")).toBe("0 admins");
    expect(plural(1200, "account")).toBe("1,200 accounts");
  });
});

describe("import outcome", () => {
  it("is a failure when every file was refused (fake.png alone), partial when some were", () => {
    const fake = { added: 0, skipped: 0, rejected: [{ reason: "corrupt" }], aborted: false };
    expect(importOutcome(fake)).toBe("failed");
    expect(importHeadline(fake)).toBe("Import failed: no file was added.");
    expect(importOutcome({ ...fake, added: 3 })).toBe("partial");
    expect(importOutcome({ ...fake, rejected: [] })).toBe("ok");
    expect(importOutcome({ ...fake, added: 3, aborted: true })).toBe("failed");
    expect(importHeadline({ ...fake, aborted: true })).toBe("Strict mode: nothing committed.");
  });
});

describe("training ETA", () => {
  it("is the mean of the last three epoch times times the epochs left, an upper bound with early stopping", () => {
    const eta = trainingEta({
      epochs: 10,
      currentEpoch: 4,
      epochDurationsMs: [90_000, 60_000, 60_000, 60_000],
      batch: 10,
      batches: 20,
      patience: 3,
    })!;
    expect(eta.msPerEpoch).toBe(60_000);
    expect(eta.epochsLeft).toBe(5.5);
    expect(eta.remainingMs).toBe(330_000);
    expect(eta.isUpperBound).toBe(true);
    expect(describeEta(eta)).toBe(
      "≤ 6 min left (5.5 epochs at 1 min each; early stopping may end it sooner)",
    );
    const exact = trainingEta({ epochs: 3, currentEpoch: 1, epochDurationsMs: [30_000], patience: 0 })!;
    expect(describeEta(exact)).toBe("~1 min left (2 epochs at 30 s each)");
    expect(trainingEta({ epochs: 3, currentEpoch: 0, epochDurationsMs: [], patience: 0 })).toBeNull();
    expect(describeEta(null)).toBe("ETA after the first epoch");
    expect(formatDuration(7_500_000)).toBe("2 h 05 min");
  });
});

describe("compare rows", () => {
  const run = (over: Partial<TCompareRun["config"]> = {}): TCompareRun => ({
    config: { ...ZRunConfig.parse({ datasetId: "d1" }), ...over },
    datasetName: "FER+",
    snapshot: null,
    backend: "wasm+openblas",
    codeVersion: "abc",
    epochsRun: 3,
  });
  it("has a row for every run-config field (the name heads the column) and marks the ones that differ", () => {
    const rows = compareRows([run(), run({ maxTrainImages: 600, scheme: "probability" })]);
    const keys = rows.map((r) => r.key);
    for (const k of Object.keys(ZRunConfig.shape))
      if (!(IN_HEADER as string[]).includes(k)) expect(keys).toContain(k);
    expect(keys).toEqual(expect.arrayContaining(["backendUsed", "codeVersion", "epochsRun"]));
    const differs = rows.filter((r) => r.differs).map((r) => r.key);
    expect(differs).toEqual(["scheme", "maxTrainImages"]);
    expect(rows.find((r) => r.key === "maxTrainImages")?.values).toEqual(["all", "600"]);
    expect(rows.find((r) => r.key === "scheme")?.values).toEqual(["crossentropy (CEL)", "probability (PLD)"]);
    expect(RUN_SCHEMES).toContain("multitarget");
  });

  it("shows the auto deferral as the epoch it resolves to for each run's epochs", () => {
    const weighted = { classWeighting: true };
    const rows = compareRows([
      run(weighted),
      run({ ...weighted, epochs: 10 }),
      run({ classWeighting: false }),
      run({ ...weighted, rebalanceFrom: 1 }),
      run({ ...weighted, rebalanceFrom: 7 }),
    ]);
    expect(rows.find((r) => r.key === "rebalanceFrom")?.values).toEqual([
      "auto: 19 (the last quarter)",
      "auto: 8 (the last quarter)",
      "auto (nothing to defer)",
      "1 (every epoch)",
      "7",
    ]);
  });
});
