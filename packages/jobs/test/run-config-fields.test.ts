import { describe, expect, it } from "vitest";
import {
  CHECKPOINT_SELECTION,
  CHECKPOINT_SELECTION_HOLDOUT,
  checkpointSelectionOf,
  DEFAULT_RUN_CONFIG,
  DEFERRED_SELECTION,
  foldsOf,
  leverProblem,
  parseStoredRunConfig,
  rebalanceFromOf,
  ZPredictRequest,
  ZRunConfig,
  ZRunConfigChecked,
} from "../src/run-config";

// What the web's 400 shows: the first issue's field and message.
function parseRunConfig(input: unknown) {
  const r = ZRunConfig.safeParse(input);
  if (r.success) return { ok: true as const, value: r.data };
  const issue = r.error.issues[0]!;
  return { ok: false as const, error: { field: issue.path.join("."), message: issue.message } };
}

const valid = { ...DEFAULT_RUN_CONFIG, datasetId: "ds1" };
/** POST /api/runs' schema on a valid config changed by input: null, or the first problem's field and message. */
const checked = (input: object) => {
  const r = ZRunConfigChecked.safeParse({ ...valid, ...input });
  return r.success ? null : { field: r.error.issues[0]?.path.join("."), message: r.error.issues[0]?.message };
};

describe("run config validation (the admin form and POST /api/runs)", () => {
  it("accepts the default form", () => {
    const r = parseRunConfig(valid);
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.value).toMatchObject({ model: "fast-wide", epochs: 24, batchSize: 64, backend: "auto" });
  });

  it.each([
    ["epochs", 501],
    ["epochs", 0],
    ["epochs", 2.5],
    ["learningRate", 0],
    ["learningRate", 1.5],
    ["learningRate", -0.1],
    ["batchSize", 0],
    ["batchSize", 1025],
    ["eps", 1.2],
    ["eps", -0.01],
    ["patience", -1],
    ["seed", -3],
    ["model", "resnet"],
    ["scheme", "bogus"],
    ["backend", "tpu"],
    ["predictAfter", "always"],
    ["predictFolds", 1],
    ["predictFolds", 21],
    ["predictFolds", 2.5],
    ["schedule", "step"],
    ["warmupEpochs", -1],
    ["warmupEpochs", 1.5],
    ["warmupEpochs", 101],
    ["ema", 1],
    ["ema", -0.1],
    ["ema", "0.9"],
    ["mixup", -0.2],
    ["mixup", 11],
    ["cutmix", -1],
    ["cutmix", "1"],
    ["logitAdjust", -1],
    ["logitAdjust", 6],
    ["ttaEval", "on"],
    ["model", "fast-wider"],
  ])("names the field %s when it is %s", (field, value) => {
    const r = parseRunConfig({ ...valid, [field]: value });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.field).toBe(field);
      expect(r.error.message).toContain(field);
    }
  });

  it("defaults to the measured levers recipe, and takes every lever on and off", () => {
    expect(DEFAULT_RUN_CONFIG).toMatchObject({
      epochs: 24,
      schedule: "cosine",
      warmupEpochs: 1,
      ema: 0.999,
      mixup: 0,
      cutmix: 0,
      logitAdjust: 0,
      ttaEval: true,
      classWeighting: true,
      classBalanceBeta: 0.999,
      rebalanceFrom: 0,
    });
    const off = {
      schedule: "plateau",
      warmupEpochs: 0,
      ema: 0,
      mixup: 0,
      cutmix: 0,
      logitAdjust: 0,
      ttaEval: false,
    };
    expect(parseRunConfig({ ...valid, ...off })).toEqual({ ok: true, value: { ...valid, ...off } });
    const on = {
      schedule: "cosine",
      warmupEpochs: 3,
      ema: 0.999,
      mixup: 0.2,
      cutmix: 1,
      logitAdjust: 1,
      ttaEval: true,
    };
    expect(parseRunConfig({ ...valid, ...on, model: "fast-wide" })).toEqual({
      ok: true,
      value: { ...valid, ...on, model: "fast-wide" },
    });
  });

  it("says when the selecting evaluation used mirror TTA", () => {
    expect(checkpointSelectionOf({ holdout: false, ttaEval: false })).toBe(CHECKPOINT_SELECTION);
    expect(checkpointSelectionOf({ holdout: true, ttaEval: false })).toBe(CHECKPOINT_SELECTION_HOLDOUT);
    expect(checkpointSelectionOf({ holdout: false, ttaEval: true })).toBe(
      `${CHECKPOINT_SELECTION}, predicted on each face and its mirror (mirror TTA)`,
    );
    expect(checkpointSelectionOf({ holdout: false, ttaEval: true, rebalanceFrom: 1 })).toBe(
      `${CHECKPOINT_SELECTION}, predicted on each face and its mirror (mirror TTA)`,
    );
    // A deferred rebalancing is not selected on: it keeps its last epoch, whatever the split and TTA.
    for (const [holdout, ttaEval] of [
      [false, false],
      [true, true],
    ] as const)
      expect(checkpointSelectionOf({ holdout, ttaEval, rebalanceFrom: 19 })).toBe(
        `${DEFERRED_SELECTION} (rebalanced from epoch 19 on)`,
      );
  });

  it("deferred rebalancing: POST's schema checks it against the levers and the epochs, naming the field", () => {
    const plain = { classWeighting: false, classBalanceBeta: 1 };
    expect(checked({})).toBeNull();
    expect(checked({ rebalanceFrom: 19, classWeighting: true })).toBeNull();
    expect(checked({ ...plain, rebalanceFrom: 24, logitAdjust: 1 })).toBeNull();
    expect(checked({ ...plain, rebalanceFrom: 19 })).toEqual({
      field: "rebalanceFrom",
      message:
        "rebalanceFrom: defers class weighting or logit adjustment; turn one of them on, or set 0 (auto) or 1",
    });
    // Auto (0) with nothing to defer is every epoch: no problem.
    expect(checked({ ...plain, rebalanceFrom: 0 })).toBeNull();
    expect(checked({ rebalanceFrom: 25, logitAdjust: 1 })).toEqual({
      field: "rebalanceFrom",
      message: "rebalanceFrom: at most epochs (24); from 25 on no epoch would rebalance",
    });
    expect(checked({ rebalanceFrom: -1, logitAdjust: 1 })?.message).toBe("rebalanceFrom: >= 0");
    expect(
      leverProblem({
        epochs: 24,
        rebalanceFrom: 1,
        classWeighting: false,
        logitAdjust: 0,
      }),
    ).toBeNull();
  });

  it("auto deferral (rebalanceFrom 0, the default) is the last quarter of the epochs, and follows them", () => {
    const of = (epochs: number, over: object = {}) =>
      rebalanceFromOf({ epochs, rebalanceFrom: 0, classWeighting: true, logitAdjust: 0, ...over });
    expect(of(24)).toBe(19);
    expect([1, 2, 3, 4, 10, 14, 30].map((e) => of(e))).toEqual([1, 2, 3, 4, 8, 11, 23]);
    expect(of(24, { classWeighting: false, logitAdjust: 1 })).toBe(19);
    // Nothing to defer: every epoch.
    expect(of(24, { classWeighting: false })).toBe(1);
    // A number that is set is kept.
    expect(of(24, { rebalanceFrom: 7 })).toBe(7);
    expect(of(24, { rebalanceFrom: 1 })).toBe(1);
    // The default form with fewer epochs is valid: auto follows them.
    for (const epochs of [1, 2, 10, 500]) expect(checked({ epochs })).toBeNull();
    expect(checkpointSelectionOf({ holdout: false, ttaEval: true, rebalanceFrom: of(24) })).toBe(
      "the last epoch: a deferred rebalancing is not selected on (rebalanced from epoch 19 on)",
    );
  });

  it("class-balanced loss: beta in [0, 1], default 0.999 for the class weighting (on by default)", () => {
    expect(DEFAULT_RUN_CONFIG.classBalanceBeta).toBe(0.999);
    expect(DEFAULT_RUN_CONFIG.classWeighting).toBe(true);
    // The default run: the class-balanced loss over the last quarter, so it keeps its last epoch.
    expect(rebalanceFromOf(DEFAULT_RUN_CONFIG)).toBe(19);
    expect(checked({ classWeighting: true, classBalanceBeta: 0.999 })).toBeNull();
    expect(checked({ classWeighting: true, classBalanceBeta: 0.999, rebalanceFrom: 19 })).toBeNull();
    expect(checked({ classWeighting: false, classBalanceBeta: 1 })).toBeNull();
    // Without the weighting beta does nothing, so the default 0.999 needs no change when it is turned off.
    expect(checked({ classWeighting: false })).toBeNull();
    expect(checked({ classWeighting: true, classBalanceBeta: 1.5 })?.message).toBe(
      "classBalanceBeta: <= 1 (1 = inverse frequency)",
    );
    expect(checked({ classWeighting: true, classBalanceBeta: -0.1 })?.message).toBe("classBalanceBeta: >= 0");
    // A stored config from before the fields: inverse frequency over every epoch, what its class weighting was.
    const { classBalanceBeta: _b, rebalanceFrom: _r, ...before } = valid;
    const stored = parseStoredRunConfig({ ...before, classWeighting: true });
    expect(stored.success && stored.data).toMatchObject({ classBalanceBeta: 1, rebalanceFrom: 1 });
  });

  it("accepts the boundaries", () => {
    expect(parseRunConfig({ ...valid, epochs: 500, learningRate: 1, batchSize: 1024, eps: 0 }).ok).toBe(true);
    expect(parseRunConfig({ ...valid, epochs: 1, learningRate: 1e-6, batchSize: 1, eps: 1 }).ok).toBe(true);
  });

  it("refuses a string where a number is expected", () => {
    const r = parseRunConfig({ ...valid, epochs: "ten" });
    expect(r).toEqual({ ok: false, error: { field: "epochs", message: "epochs: a number" } });
  });

  it("requires a dataset", () => {
    const { datasetId: _drop, ...rest } = valid;
    const r = parseRunConfig(rest);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.field).toBe("datasetId");
  });
});

describe("prediction options", () => {
  it("defaults to no predictions after a run and 5 cross-fit folds", () => {
    expect(DEFAULT_RUN_CONFIG).toMatchObject({ predictAfter: "none", predictFolds: 5 });
    expect(ZRunConfig.parse({ ...valid, predictAfter: "cross-fit", predictFolds: 2 })).toMatchObject({
      predictAfter: "cross-fit",
      predictFolds: 2,
    });
  });

  it("validates POST /api/predictions bodies and names the field", () => {
    expect(ZPredictRequest.parse({ runId: "r1" })).toEqual({
      runId: "r1",
      datasetId: null,
      scheme: "cross-fit",
      folds: 5,
    });
    const cases: [Record<string, unknown>, string][] = [
      [{}, "runId"],
      [{ runId: "" }, "runId"],
      [{ runId: "r", scheme: "loo" }, "scheme"],
      [{ runId: "r", folds: 1 }, "folds"],
      [{ runId: "r", folds: "5" }, "folds"],
      [{ runId: "r", datasetId: 3 }, "datasetId"],
    ];
    for (const [body, field] of cases) {
      const r = ZPredictRequest.safeParse(body);
      expect(r.success, JSON.stringify(body)).toBe(false);
      if (!r.success) expect(r.error.issues[0]?.path.join(".")).toBe(field);
    }
  });

  it("counts one model for in-sample and K for cross-fit", () => {
    expect(foldsOf({ scheme: "in-sample", folds: 7 })).toBe(1);
    expect(foldsOf({ scheme: "cross-fit", folds: 7 })).toBe(7);
  });
});
