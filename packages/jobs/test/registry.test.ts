import { describe, expect, expectTypeOf, it } from "vitest";
import { ZodError } from "zod";
import {
  JOBS,
  parsePayload,
  parseQueueList,
  predictJobId,
  type TJobPayloadInput,
  type TJobProgress,
  trainJobId,
  ZPredictProgress,
  ZPredictResult,
} from "../src";

describe("job registry", () => {
  it("names every job and its default queue", () => {
    expect(Object.keys(JOBS)).toEqual(["snapshot-labels", "train", "evaluate", "predict"]);
    expect(JOBS.predict.queue).toBe("train");
    expect(JOBS.train.queue).toBe("train");
    expect(JOBS["snapshot-labels"].queue).toBe("labels");
  });

  it("types payloads and progress per job (a wrong payload fails to compile)", () => {
    expectTypeOf<TJobPayloadInput<"train">>().toEqualTypeOf<{ runId: string }>();
    expectTypeOf<TJobProgress<"train">["epoch"]>().toEqualTypeOf<number>();
    expectTypeOf<TJobPayloadInput<"predict">>().toEqualTypeOf<{ setId: string }>();
    expectTypeOf<TJobProgress<"predict">["done"]>().toEqualTypeOf<number>();
    // @ts-expect-error a predict job points at a set, not a run
    const wrong: TJobPayloadInput<"predict"> = { runId: "x" };
    expect(wrong).toBeDefined();
    // @ts-expect-error unknown job name
    const bad: TJobPayloadInput<"trian"> = { runId: "x" };
    expect(bad).toBeDefined();
  });

  it("re-validates payloads and names the bad field", () => {
    expect(parsePayload("train", { runId: "r1" })).toEqual({ runId: "r1" });
    expect(() => parsePayload("train", { runId: "" })).toThrow(ZodError);
    expect(() => parsePayload("snapshot-labels", { datasetId: "d", method: "nope" })).toThrow(/method/);
    expect(parsePayload("evaluate", { runId: "r" }).splits).toEqual(["VALID", "TEST"]);
  });

  it("derives one deterministic job id per run and per prediction set", () => {
    expect(trainJobId("abc")).toBe("train-abc");
    expect(JOBS.train.jobId({ runId: "abc" })).toBe("train-abc");
    expect(predictJobId("s1")).toBe("predict-s1");
    expect(JOBS.predict.jobId({ setId: "s1" })).toBe("predict-s1");
    expect(JOBS.predict.attempts).toBe(5);
  });

  it("checks predict payloads, progress and results", () => {
    expect(parsePayload("predict", { setId: "s1" })).toEqual({ setId: "s1" });
    expect(() => parsePayload("predict", { setId: " " })).toThrow(/setId|empty/);
    expect(() => parsePayload("predict", {})).toThrow(ZodError);
    const progress = { setId: "s", phase: "training", fold: 2, folds: 5, done: 10, total: 40, epoch: 1 };
    expect(ZPredictProgress.parse(progress)).toEqual(progress);
    expect(() => ZPredictProgress.parse({ ...progress, phase: "thinking" })).toThrow(/phase/);
    expect(() => ZPredictProgress.parse({ ...progress, folds: 0 })).toThrow(/folds/);
    const result = { setId: "s", status: "SUCCEEDED", predicted: 40, outOfSample: 40, imagesPerSec: null };
    expect(ZPredictResult.parse(result)).toEqual(result);
  });

  it("parses worker queue lists and refuses unknown names", () => {
    expect(parseQueueList("train, train-gpu,train")).toEqual(["train", "train-gpu"]);
    expect(() => parseQueueList("train,gpu")).toThrow(/unknown queue "gpu"/);
    expect(() => parseQueueList(" , ")).toThrow(/empty/);
  });
});
