/**
 * Where a training step's time goes: per-kernel wall ms of one in-process step (tf.profile), summed by
 * kernel name, for one model. Usage: npx tsx bench/step-profile.ts [--model fast] [--batch 32] [--reps 5]
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { backendOptions, trainerEnv } from "../src/env";
import { Optimizer } from "../src/loop/optimizer";
import { makeShards, step } from "../src/loop/train-step";
import { buildModel, type TModelName } from "../src/model/model-factories";

const { values: a } = parseArgs({
  options: {
    model: { type: "string", default: "fast" },
    batch: { type: "string", default: "32" },
    reps: { type: "string", default: "5" },
  },
});
const batch = Number(a.batch);
// wasm unless CONCORD_TF_BACKEND says otherwise.
const env = trainerEnv({ CONCORD_TF_BACKEND: "wasm", ...process.env });
const backend = await initBackend(env.CONCORD_TF_BACKEND, backendOptions(env));
const model = buildModel({ name: a.model as TModelName, classes: 8 });
const opt = new Optimizer("adam", 1e-3, { momentum: 0, weightDecay: 0 });
const x = Float32Array.from({ length: batch * 48 * 48 }, () => Math.random() * 2 - 1);
const labels = Int32Array.from({ length: batch }, (_, i) => i % 8);
const y = new Float32Array(batch * 8);
labels.forEach((l, i) => {
  y[i * 8 + l] = 1;
});
const once = () => step(model, opt, null, makeShards(x, y, null, labels, 1, 1));
for (let i = 0; i < 3; i++) await once();
const reps = Number(a.reps);
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < reps; i++) await once();
const stepMs = (performance.now() - t0) / reps;
const used = process.cpuUsage(c0);
const cpuMs = (used.user + used.system) / 1000 / reps;
const info = await tf.profile(async () => {
  await once();
});
const byName = new Map<string, { ms: number; calls: number }>();
let kernelMs = 0;
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
  kernelMs += ms;
  const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += ms;
  e.calls++;
  byName.set(k.name, e);
}
console.log(
  `${a.model} batch ${batch} on ${backend.name}: ${stepMs.toFixed(1)} ms/step (${((batch * 1000) / stepMs).toFixed(1)} img/s), CPU ${cpuMs.toFixed(1)} ms/step (${(cpuMs / batch).toFixed(2)} ms/img), kernels ${kernelMs.toFixed(1)} ms`,
);
for (const [name, e] of [...byName].sort((p, q) => q[1].ms - p[1].ms).slice(0, 25)) {
  console.log(
    `${name.padEnd(26)} ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(5)} calls ${((100 * e.ms) / stepMs).toFixed(1).padStart(5)}%`,
  );
}
