import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { buildModel, MODEL_NAMES } from "../src/model/model-factories";

describe("model factories", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
  });

  it.each(MODEL_NAMES.map((n) => [n]))("%s maps [n,48,48,1] to softmax over the classes", (name) => {
    const m = buildModel({ name, classes: 5 });
    expect(m.inputs[0]?.shape).toEqual([null, 48, 48, 1]);
    expect(m.outputs[0]?.shape).toEqual([null, 5]);
    const y = tf.tidy(() => m.predict(tf.zeros([2, 48, 48, 1])) as tf.Tensor);
    const sums = tf.tidy(() => Array.from(tf.sum(y, 1).dataSync()));
    expect(sums[0]).toBeCloseTo(1, 5);
    y.dispose();
    m.dispose();
  });

  it("vgg13 follows FERPlus' VGG13 layer plan", () => {
    const m = buildModel({ name: "vgg13", classes: 8 });
    const convs = m.layers
      .filter((l) => l.getClassName() === "Conv2D")
      .map((l) => (l.getConfig() as { filters: number }).filters);
    expect(convs).toEqual([64, 64, 128, 128, 256, 256, 256, 256, 256, 256]);
    const dense = m.layers
      .filter((l) => l.getClassName() === "Dense")
      .map((l) => (l.getConfig() as { units: number }).units);
    expect(dense).toEqual([1024, 1024, 8]);
    m.dispose();
  });

  it("rejects unknown names and bad class counts", () => {
    expect(() => buildModel({ name: "resnet" as never, classes: 8 })).toThrow(/Unknown model/);
    expect(() => buildModel({ name: "fast", classes: 1 })).toThrow(/classes/);
  });
});
