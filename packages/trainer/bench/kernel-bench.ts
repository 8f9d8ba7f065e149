/**
 * CPU ms per call of the conv kernels on the fast model's layer shapes (batch 64), for each kernel set:
 * "wasm" (WASM's XNNPACK forward Conv2D, our Conv2DBackpropFilter/Input from kernels/wasm-conv-grad-kernels.ts, and WASM's own
 * naive Conv2DBackpropInput) and "native" (kernels/native-conv-kernels.ts: Winograd F(2x2,3x3) for 3x3 stride-1
 * layers with >= 16 channels, else im2col, over the sgemm) when it is built.
 * Usage: npx tsx bench/kernel-bench.ts [--reps 3]
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { backendOptions, trainerEnv } from "../src/env";
import { nativeAddon, useNativeKernels } from "../src/kernels/native-kernels";
import { naiveConv2DBackpropInput } from "../src/kernels/wasm-conv-grad-kernels";

const { values: a } = parseArgs({ options: { reps: { type: "string", default: "3" } } });
const reps = Number(a.reps);
const env = trainerEnv();
await initBackend("wasm", backendOptions(env));
const layers: [number[], number][] = [
  [[64, 48, 48, 1], 32],
  [[64, 24, 24, 32], 64],
  [[64, 24, 24, 64], 64],
  [[64, 12, 12, 64], 128],
  [[64, 12, 12, 128], 128],
  [[64, 6, 6, 128], 256],
];

function cpuMs(fn: () => tf.TensorInfo | tf.Tensor): number {
  tf.dispose(fn() as tf.Tensor);
  const c = process.cpuUsage();
  for (let i = 0; i < reps; i++) tf.dispose(fn() as tf.Tensor);
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000 / reps;
}

const attrs = { strides: 1, pad: "same", dataFormat: "NHWC" } as const;
for (const mode of env.CONCORD_NATIVE_KERNELS !== false && nativeAddon() ? ["wasm", "native"] : ["wasm"]) {
  useNativeKernels(mode === "native");
  console.log(
    `${mode} kernels: layer (x shape -> filters)  forward  bpFilter  bpInput  naive-bpInput   (CPU ms per call)`,
  );
  for (const [shape, filters] of layers) {
    const [n, h, w, c] = shape as [number, number, number, number];
    const x = tf.randomNormal([n, h, w, c]);
    const f = tf.randomNormal([3, 3, c, filters]);
    const dy = tf.randomNormal([n, h, w, filters]);
    const fwd = cpuMs(() => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same"));
    const bpf = cpuMs(
      () =>
        tf
          .engine()
          .runKernel(
            "Conv2DBackpropFilter",
            { x, dy },
            { ...attrs, filterShape: [3, 3, c, filters] },
          ) as tf.Tensor,
    );
    const bpi = cpuMs(
      () =>
        tf
          .engine()
          .runKernel("Conv2DBackpropInput", { dy, filter: f }, { ...attrs, inputShape: shape }) as tf.Tensor,
    );
    const naive =
      c > 1 && mode === "wasm"
        ? cpuMs(() => {
            const info = naiveConv2DBackpropInput({
              inputs: { dy, filter: f },
              backend: tf.backend(),
              attrs: { ...attrs, inputShape: shape },
            }) as tf.TensorInfo;
            return tf.engine().makeTensorFromTensorInfo(info);
          })
        : Number.NaN;
    console.log(
      `${JSON.stringify(shape).padEnd(18)} -> ${String(filters).padEnd(4)}  ${fwd.toFixed(0).padStart(8)} ${bpf.toFixed(0).padStart(9)} ${bpi.toFixed(0).padStart(8)} ${Number.isNaN(naive) ? "             -" : naive.toFixed(0).padStart(14)}`,
    );
    tf.dispose([x, f, dy]);
  }
}
