import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_CONFIG, ZRunConfig } from "../src/run-config";

// What the web's 400 shows: the first issue's field and message.
function parseRunConfig(input: unknown) {
  const r = ZRunConfig.safeParse(input);
  if (r.success) return { ok: true as const, value: r.data };
  const issue = r.error.issues[0]!;
  return { ok: false as const, error: { field: issue.path.join("."), message: issue.message } };
}

const valid = { ...DEFAULT_RUN_CONFIG, datasetId: "ds1" };

describe("run config validation (the admin form and POST /api/runs)", () => {
  it("accepts the default form", () => {
    const r = parseRunConfig(valid);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject({ model: "fast", epochs: 30, batchSize: 64, backend: "auto" });
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
  ])("names the field %s when it is %s", (field, value) => {
    const r = parseRunConfig({ ...valid, [field]: value });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.field).toBe(field);
      expect(r.error.message).toContain(field);
    }
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
