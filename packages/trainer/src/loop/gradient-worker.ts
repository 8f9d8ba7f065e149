import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend, type TWorkerBackendOptions } from "../backend";
import { predictChunk } from "../evaluation/predict-chunk";
import { shardGradients, type TShard } from "./shard-gradients";

/**
 * Data-parallel gradient worker: its own WASM instance and model replica. Per step it receives all weights
 * (trainable and BN statistics) and a shard, and returns the shard's gradients plus the BN statistics its
 * forward pass produced, so the parent can average them. For batched inference it takes the weights once
 * ("weights") and then returns class probabilities for chunks of raw pixels ("predict").
 */
export type TGradientWorkerData = { backend: TWorkerBackendOptions };
type TInit = { type: "init"; topology: object };
type TStep = { type: "step"; id: number; weights: Float32Array[]; shard: TShard };
type TWeights = { type: "weights"; id: number; weights: Float32Array[] };
type TPredict = { type: "predict"; id: number; pixels: Uint8Array; mirror: boolean };

let model: tf.LayersModel | undefined;

function setWeights(m: tf.LayersModel, weights: Float32Array[]): void {
  const tensors = m.weights.map((w, i) => tf.tensor(weights[i] as Float32Array, w.shape as number[]));
  m.setWeights(tensors);
  tf.dispose(tensors);
}

async function handle(msg: TInit | TStep | TWeights | TPredict): Promise<void> {
  if (msg.type === "init") {
    await initBackend("wasm", { ...(workerData as TGradientWorkerData).backend, quiet: true });
    model = await tf.models.modelFromJSON({ modelTopology: msg.topology } as tf.io.ModelJSON);
    parentPort?.postMessage({ type: "ready" });
    return;
  }
  if (!model) throw new Error("gradient worker used before init");
  const m = model;
  if (msg.type === "weights") {
    setWeights(m, msg.weights);
    parentPort?.postMessage({ type: "done", id: msg.id });
    return;
  }
  if (msg.type === "predict") {
    const probs = predictChunk(m, msg.pixels, msg.mirror);
    parentPort?.postMessage({ type: "done", id: msg.id, probs }, [probs.buffer as ArrayBuffer]);
    return;
  }
  setWeights(m, msg.weights);
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

parentPort?.on("message", (msg: TInit | TStep | TWeights | TPredict) => {
  handle(msg).catch((e: Error) => parentPort?.postMessage({ type: "error", message: e.stack ?? e.message }));
});
