import { describe, expect, it } from "vitest";
import {
  DEFAULT_RUN_CONFIG,
  drawsTargets,
  PREDATING_LEVERS,
  parseStoredRunConfig,
  RUN_SCHEMES,
  resolveScheme,
  SCHEME_HELP,
  SCHEME_PAPER_NAMES,
  trainQueueFor,
  trainQueueOfStored,
  ttaEvalOfStored,
  ZRunConfig,
  ZTrainingConfig,
} from "../src/run-config";

describe("run config", () => {
  it("fills every default from one schema: a body naming only the dataset is the recipe", () => {
    const parsed = ZRunConfig.parse({ datasetId: "ds1" });
    expect(parsed).toEqual({ ...DEFAULT_RUN_CONFIG, datasetId: "ds1" });
    // The levers recipe (issue 14): 24 cosine epochs after 1 warm-up epoch, weight EMA 0.999, mirror TTA.
    expect(parsed).toMatchObject({
      model: "fast-wide",
      scheme: "crossentropy",
      eps: 1,
      epochs: 24,
      patience: 6,
      learningRate: 0.001,
      batchSize: 64,
      optimizer: "adam",
      augment: true,
      schedule: "cosine",
      warmupEpochs: 1,
      ema: 0.999,
      ttaEval: true,
      mixup: 0,
      cutmix: 0,
      logitAdjust: 0,
    });
    expect(ZTrainingConfig.parse({})).toEqual(ZTrainingConfig.parse(parsed));
  });

  it("refuses a config without a dataset, naming the field", () => {
    const r = ZRunConfig.safeParse({});
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["datasetId"]);
  });

  it("reads a stored config that predates the levers with the levers off, whatever today's defaults", () => {
    // A run stored before issue 14: no lever fields at all.
    const old = { datasetId: "d", model: "fast", scheme: "crossentropy", eps: 1, epochs: 14, patience: 6 };
    const r = parseStoredRunConfig(old);
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ ...PREDATING_LEVERS, epochs: 14 });
    expect(r.data).toMatchObject({
      schedule: "plateau",
      warmupEpochs: 0,
      ema: 0,
      mixup: 0,
      cutmix: 0,
      logitAdjust: 0,
      ttaEval: false,
    });
    // Today's defaults differ from the fill in every lever they turn on, so the fill is what decided.
    for (const k of ["schedule", "warmupEpochs", "ema", "ttaEval"] as const)
      expect(DEFAULT_RUN_CONFIG[k]).not.toEqual(PREDATING_LEVERS[k]);
    // A config stored since has every field: what it says wins over the fill, on and off alike.
    const now = { ...DEFAULT_RUN_CONFIG, datasetId: "d", schedule: "cosine", ema: 0.999, ttaEval: true };
    expect(parseStoredRunConfig(now).data).toEqual(now);
    const off = { ...now, schedule: "plateau", warmupEpochs: 0, ema: 0, ttaEval: false, mixup: 0.2 };
    expect(parseStoredRunConfig(off).data).toEqual(off);
    // Garbage is refused as before, naming the field.
    expect(parseStoredRunConfig(null).success).toBe(false);
    expect(parseStoredRunConfig({ ...old, epochs: "ten" }).error?.issues[0]?.path).toEqual(["epochs"]);
  });

  it("says whether a stored run scored with mirror TTA: what it stored, off before the lever, off for garbage", () => {
    const now = { ...DEFAULT_RUN_CONFIG, datasetId: "d" };
    expect(now.ttaEval).toBe(true);
    expect(ttaEvalOfStored(now)).toBe(true);
    expect(ttaEvalOfStored({ ...now, ttaEval: false })).toBe(false);
    expect(ttaEvalOfStored({ datasetId: "d", model: "fast", epochs: 14 })).toBe(false);
    expect(ttaEvalOfStored(null)).toBe(false);
    expect(ttaEvalOfStored({ ...now, epochs: "ten" })).toBe(false);
  });

  it("routes GPU runs to train-gpu and everything else to train", () => {
    expect(trainQueueFor({ backend: "gpu" })).toBe("train-gpu");
    for (const backend of ["auto", "node", "wasm"] as const) expect(trainQueueFor({ backend })).toBe("train");
  });

  it("reads the queue of a stored (untyped) config; garbage trains on CPU", () => {
    expect(trainQueueOfStored({ ...DEFAULT_RUN_CONFIG, datasetId: "d", backend: "gpu" })).toBe("train-gpu");
    expect(trainQueueOfStored({ backend: "gpu" })).toBe("train-gpu");
    expect(trainQueueOfStored({ backend: "tpu" })).toBe("train");
    expect(trainQueueOfStored(null)).toBe("train");
  });

  it("names the schemes as FER+ does, takes the old trainer names as aliases, and draws only for PLD", () => {
    expect(RUN_SCHEMES.map((s) => SCHEME_PAPER_NAMES[s])).toEqual(["MV", "PLD", "CEL", "ML"]);
    for (const s of RUN_SCHEMES) {
      expect(resolveScheme(s)).toEqual({ scheme: s, alias: null });
      expect(SCHEME_HELP[s]).toContain(`(${SCHEME_PAPER_NAMES[s]})`);
    }
    expect(resolveScheme("cel")).toEqual({ scheme: "crossentropy", alias: "cel" });
    expect(resolveScheme("PLD")).toEqual({ scheme: "probability", alias: "pld" });
    expect(resolveScheme(" mv ")).toEqual({ scheme: "majority", alias: "mv" });
    expect(resolveScheme("ml")).toEqual({ scheme: "multitarget", alias: "ml" });
    expect(resolveScheme("soft")).toBeNull();
    expect(RUN_SCHEMES.filter(drawsTargets)).toEqual(["probability"]);
  });
});
