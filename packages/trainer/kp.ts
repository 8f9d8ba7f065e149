import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./src/backend";
import { installFastBatchNorm } from "./src/fast-batchnorm";
import { buildModel } from "./src/models";

await initBackend("wasm", { quiet: true });

const m = buildModel({ name: (process.argv[3] ?? "fast") as any, classes: 8 });
const opt = tf.train.adam(1e-3);
const x = tf.randomNormal([64, 48, 48, 1]);
const y = tf.oneHot(tf.randomUniform([64], 0, 8, "int32") as tf.Tensor1D, 8);
const step = () => {
  const l = opt.minimize(
    () => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    true,
  );
  l!.dispose();
};
step();
step();
const t0 = performance.now();
for (let i = 0; i < 4; i++) step();
console.log("img/s", (256 / ((performance.now() - t0) / 1000)).toFixed(1), "tensors", tf.memory().numTensors);
const prof = await tf.profile(() => {
  step();
});
const agg: Record<string, number> = {};
for (const k of prof.kernels) {
  agg[k.name] = (agg[k.name] ?? 0) + (k.kernelTimeMs as number);
}
const tot = Object.values(agg).reduce((a, b) => a + b, 0);
console.log("total kernel ms", tot.toFixed(0));
for (const [k, v] of Object.entries(agg)
  .sort((a, b) => b[1] - a[1])
  .slice(0, 12))
  console.log(k, v.toFixed(1));
