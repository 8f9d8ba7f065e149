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

  it("fast-wide is fast with 1.5x the channels, every conv but the first on the native Winograd path", () => {
    const convs = (name: "fast" | "fast-wide") => {
      const m = buildModel({ name, classes: 8 });
      const out = m.layers
        .filter((l) => l.getClassName() === "Conv2D")
        .map((l) => {
          const c = l.getConfig() as { filters: number; kernelSize: number[]; strides: number[] };
          const ci = (l.getInputAt(0) as tf.SymbolicTensor).shape[3] as number;
          return { ci, co: c.filters, kernel: c.kernelSize, strides: c.strides };
        });
      m.dispose();
      return out;
    };
    const fast = convs("fast");
    const wide = convs("fast-wide");
    expect(wide.map((c) => c.co)).toEqual(fast.map((c) => c.co * 1.5));
    expect(wide.map((c) => c.co)).toEqual([48, 96, 96, 192, 192, 384]);
    // concord_wino_fits (native/concord_winograd.c): 3x3, stride 1, >= 16 channels in and out, multiples of 4.
    for (const c of wide.slice(1)) {
      expect(c.kernel).toEqual([3, 3]);
      expect(c.strides).toEqual([1, 1]);
      expect(c.ci >= 16 && c.co >= 16 && c.ci % 4 === 0 && c.co % 4 === 0).toBe(true);
    }
  });

  it("rejects unknown names and bad class counts", () => {
    expect(() => buildModel({ name: "resnet" as never, classes: 8 })).toThrow(/Unknown model/);
    expect(() => buildModel({ name: "fast", classes: 1 })).toThrow(/classes/);
  });
});
