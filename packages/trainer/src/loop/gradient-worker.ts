import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend, type TWorkerBackendOptions } from "../backend";
import { shardGradients, type TShard } from "./shard-gradients";

/**
 * Data-parallel gradient worker: its own WASM instance and model replica. Per step it receives all weights
 * (trainable and BN statistics) and a shard, and returns the shard's gradients plus the BN statistics its
 * forward pass produced, so the parent can average them.
 */
export type TGradientWorkerData = { backend: TWorkerBackendOptions };
type TInit = { type: "init"; topology: object };
type TStep = { type: "step"; id: number; weights: Float32Array[]; shard: TShard };

let model: tf.LayersModel | undefined;

async function handle(msg: TInit | TStep): Promise<void> {
  if (msg.type === "init") {
    await initBackend("wasm", { ...(workerData as TGradientWorkerData).backend, quiet: true });
    model = await tf.models.modelFromJSON({ modelTopology: msg.topology } as tf.io.ModelJSON);
    parentPort?.postMessage({ type: "ready" });
    return;
  }
  if (!model) throw new Error("gradient worker used before init");
  const m = model;
  const tensors = m.weights.map((w, i) => tf.tensor(msg.weights[i] as Float32Array, w.shape as number[]));
  m.setWeights(tensors);
  tf.dispose(tensors);
  const out = shardGradients(m, msg.shard);
  const grads = out.grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose(out.grads);
  const stats = m.weights.filter((w) => !w.trainable).map((w) => w.read().dataSync() as Float32Array);
  const buffers = [...grads, ...stats].map((a) => a.buffer as ArrayBuffer);
  parentPort?.postMessage(
    { type: "done", id: msg.id, grads, stats, loss: out.loss, correct: out.correct, n: out.n },
    buffers,
  );
}

parentPort?.on("message", (msg: TInit | TStep) => {
  handle(msg).catch((e: Error) => parentPort?.postMessage({ type: "error", message: e.stack ?? e.message }));
});
