import { describe, expect, expectTypeOf, it } from "vitest";
import { ZodError } from "zod";
import {
  JOBS,
  parsePayload,
  parseQueueList,
  type TJobPayloadInput,
  type TJobProgress,
  trainJobId,
} from "../src";

describe("job registry", () => {
  it("names every job and its default queue", () => {
    expect(Object.keys(JOBS)).toEqual(["snapshot-labels", "train", "evaluate"]);
    expect(JOBS.train.queue).toBe("train");
    expect(JOBS["snapshot-labels"].queue).toBe("labels");
  });

  it("types payloads and progress per job (a wrong payload fails to compile)", () => {
    expectTypeOf<TJobPayloadInput<"train">>().toEqualTypeOf<{ runId: string }>();
    expectTypeOf<TJobProgress<"train">["epoch"]>().toEqualTypeOf<number>();
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

  it("derives one deterministic job id per run", () => {
    expect(trainJobId("abc")).toBe("train-abc");
    expect(JOBS.train.jobId({ runId: "abc" })).toBe("train-abc");
  });

  it("parses worker queue lists and refuses unknown names", () => {
    expect(parseQueueList("train, train-gpu,train")).toEqual(["train", "train-gpu"]);
    expect(() => parseQueueList("train,gpu")).toThrow(/unknown queue "gpu"/);
    expect(() => parseQueueList(" , ")).toThrow(/empty/);
  });
});
