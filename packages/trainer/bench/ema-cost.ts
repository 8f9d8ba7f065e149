/**
 * What the weight EMA costs a training step: one update of the average over every weight of a model, three
 * ways, in one process. "copied out" is how train() read the weights before (await t.data() per tensor, then
 * the JavaScript loop); "in place" reads them as views on the WASM heap (what train() does now); "native"
 * also runs the update in the addon (what train() does when the native kernels are active). Checks that the
 * three give the same bits. Usage: npx tsx bench/ema-cost.ts [--model fast-wide] [--reps 100]
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { backendLabel, initBackend } from "../src/backend";
import { nativeAddon } from "../src/kernels/native-addon";
import { jsEmaKernel, type TEmaKernel, WeightEma } from "../src/loop/weight-ema";
import { buildModel, type TModelName } from "../src/model/model-factories";

const { values: a } = parseArgs({
  options: { model: { type: "string", default: "fast-wide" }, reps: { type: "string", default: "100" } },
});
const reps = Number(a.reps);
const backend = await initBackend("wasm", { quiet: true });
const model = buildModel({ name: a.model as TModelName, classes: 8 });
const addon = nativeAddon();
const params = model.getWeights().reduce((s, t) => s + t.size, 0);

const copied = () => Promise.all(model.getWeights().map(async (t) => (await t.data()) as Float32Array));
const views = () => {
  const wasm = tf.backend() as unknown as BackendWasm;
  return model.getWeights().map((t) => wasm.typedArrayFromHeap(t) as Float32Array);
};
const init = (await copied()).map((w) => w.slice());
const nativeKernel: TEmaKernel | null = addon ? (v, w, d, e) => addon.emaUpdate(v, w, d, e) : null;
const ways: [string, (ema: WeightEma) => Promise<void> | void][] = [
  ["copied out + JavaScript loop (before)", async (ema) => ema.update(await copied(), jsEmaKernel)],
  ["in place + JavaScript loop", (ema) => ema.update(views(), jsEmaKernel)],
];
if (nativeKernel) ways.push(["in place + native emaUpdate", (ema) => ema.update(views(), nativeKernel)]);

console.log(
  `${a.model}: ${params.toLocaleString("en")} weights in ${init.length} tensors; ${backendLabel(backend)}; ${reps} updates each, 2 rounds`,
);
const ms = new Map<string, number[]>();
const finals: Float32Array[][] = [];
for (let round = 0; round < 2; round++) {
  for (const [name, fn] of ways) {
    const ema = new WeightEma(
      0.999,
      init.map((v) => v.slice()),
    );
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await fn(ema);
    ms.set(name, [...(ms.get(name) ?? []), (performance.now() - t0) / reps]);
    if (round === 0) finals.push(ema.values);
  }
}
const base = Math.min(...(ms.get(ways[0]![0]) as number[]));
for (const [name] of ways) {
  const best = Math.min(...(ms.get(name) as number[]));
  console.log(`${name.padEnd(40)} ${best.toFixed(2).padStart(7)} ms/update  ${(base / best).toFixed(1)}x`);
}
const same = finals.every((vs) => vs.every((v, i) => v.every((x, j) => Object.is(x, finals[0]![i]![j]))));
console.log(`same bits after ${reps} updates: ${same ? "yes" : "NO"}`);
if (!nativeKernel) console.log("(native addon not built: npm run build:native -w @concord/trainer)");
if (!same) process.exitCode = 1;
