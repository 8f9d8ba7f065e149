import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { currentBackend, initBackend, workerBackendOptions } from "../src/backend";
import { makeBatch } from "../src/data/augment";
import { nativeAddon, nativeKernelsActive } from "../src/kernels/native-kernels";
import { GradientPool } from "../src/loop/gradient-pool";
import { Optimizer } from "../src/loop/optimizer";
import { shardGradients } from "../src/loop/shard-gradients";
import { makeShards } from "../src/loop/train-step";
import { buildModel } from "../src/model/model-factories";
import { toyData } from "./helpers";

// Its own file: the backend is chosen once per process, here with the native kernels turned off.
describe("initBackend options", () => {
  it("refuses a wasm backend without native kernels when they are required, and can run without them", async () => {
    await expect(
      initBackend("wasm", { quiet: true, nativeKernels: false, requireNative: true }),
    ).rejects.toThrow(/native kernels required but turned off \(nativeKernels: false/);
    expect(currentBackend()).toBeUndefined();
    const lines: string[] = [];
    const info = await initBackend("wasm", { nativeKernels: false, log: (l) => lines.push(l) });
    expect(info).toMatchObject({ name: "wasm", nativeKernels: false });
    expect(tf.getBackend()).toBe("wasm");
    expect(nativeKernelsActive()).toBe(false);
    expect(lines).toEqual([
      "[trainer] tfjs backend: wasm (wasm) (native kernels: turned off (nativeKernels: false, e.g. CONCORD_NATIVE_KERNELS=0))",
    ]);
    expect(workerBackendOptions()).toEqual({ nativeKernels: false, requireNative: false });
  });

  // Native and WASM convolutions sum in different orders, so a gradient thread on the other kernel set
  // would report a loss that differs in the last bits from the main thread's for the same shard.
  it.runIf(nativeAddon() !== null)("gradient threads use the kernels the main thread was given", async () => {
    const data = toyData(8, 3);
    const idx = Array.from({ length: 8 }, (_, i) => i);
    const x = makeBatch(data.train.pixels, idx, null);
    const shards = makeShards(x, data.train.targets, null, data.train.labels, 2, 5);
    const model = buildModel({ name: "fast-lite", classes: 3 });
    const expected = shards
      .map((s) => {
        const out = shardGradients(model, s);
        tf.dispose(out.grads);
        return out.loss * out.n;
      })
      .reduce((a, b) => a + b);
    const opt = new Optimizer("adam", 1e-3, { momentum: 0, weightDecay: 0 });
    const pool = await GradientPool.create(model, 1);
    try {
      const { loss } = await pool.step(model, opt, shards);
      expect(loss).toBe(expected / 8);
    } finally {
      await pool.close();
      opt.dispose();
      model.dispose();
    }
  });
});
