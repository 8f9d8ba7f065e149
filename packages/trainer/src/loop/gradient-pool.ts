import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { workerBackendOptions } from "../backend";
import type { TGradientWorkerData } from "./gradient-worker";
import type { Optimizer } from "./optimizer";
import { shardGradients, type TShard, trainableVars } from "./shard-gradients";

/**
 * local * weight + sum of remote values * their weights, in a fixed order: one native pass per term where the
 * native kernels are registered (the same float32 operations as tfjs' mul and add).
 */
function weightedMean(
  local: tf.Tensor,
  weight: number,
  remote: { values: Float32Array; weight: number }[],
): tf.Tensor {
  const native = tf.getBackend() === "wasm" && tf.getKernel("ConcordWeightedSum", "wasm") !== undefined;
  let sum: tf.Tensor | null = null;
  for (const [k, r] of remote.entries()) {
    const b = tf.tensor(r.values, local.shape);
    const a: tf.Tensor = sum ?? local;
    const wa = k === 0 ? weight : 1;
    sum = native
      ? (tf.engine().runKernel("ConcordWeightedSum", { a, b }, { wa, wb: r.weight }) as tf.Tensor)
      : tf.add(k === 0 ? tf.mul(a, wa) : a, tf.mul(b, r.weight));
  }
  return sum ?? tf.mul(local, weight);
}

type TDone = {
  type: "done";
  id: number;
  grads: Float32Array[];
  stats: Float32Array[];
  loss: number;
  correct: number;
  n: number;
};

/**
 * Data-parallel training over worker_threads, each with its own single-threaded WASM instance (WASM in
 * Node has no threads of its own). The batch is cut into `1 + workers` shards; the main thread computes
 * shard 0 while workers compute the rest, then gradients are averaged (weighted by shard size) in a fixed
 * order and applied once. Batch norm runs per shard ("ghost" batches) and its moving statistics are
 * averaged. Deterministic for a given shard count, so resume stays exact.
 */
export class GradientPool {
  private readonly workers: Worker[] = [];
  private nextId = 0;
  // Replies of "step" (TDone), "weights" and "predict" ({ probs }) share the id sequence.
  private readonly pending = new Map<
    number,
    { resolve: (d: TDone & { probs?: Float32Array }) => void; reject: (e: Error) => void }
  >();

  private constructor() {}

  static async create(model: tf.LayersModel, count: number): Promise<GradientPool> {
    const pool = new GradientPool();
    const topology = model.toJSON(null, false) as object;
    // Threads set up their wasm backend as this one was (native kernels on or off), not from the environment.
    const workerData: TGradientWorkerData = { backend: workerBackendOptions() };
    await Promise.all(
      Array.from({ length: count }, async () => {
        const w = new Worker(new URL("./gradient-worker-entry.mjs", import.meta.url), { workerData });
        pool.workers.push(w);
        await new Promise<void>((resolve, reject) => {
          const onMessage = (msg: { type: string; message?: string }) => {
            if (msg.type === "ready") {
              w.off("message", onMessage);
              resolve();
            } else if (msg.type === "error") reject(new Error(msg.message));
          };
          w.on("message", onMessage);
          w.once("error", reject);
          w.postMessage({ type: "init", topology });
        });
        w.on("message", (msg: TDone | { type: "error"; message: string }) => pool.settle(msg));
        w.on("error", (e) => pool.failAll(e));
      }),
    );
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  private settle(msg: TDone | { type: "error"; message: string }): void {
    if (msg.type === "error") {
      this.failAll(new Error(`gradient worker: ${msg.message}`));
      return;
    }
    const p = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    p?.resolve(msg);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private run(worker: Worker, weights: Float32Array[], shard: TShard): Promise<TDone> {
    return this.send(worker, { type: "step", weights, shard });
  }

  /** One optimisation step over the shards (shards.length === size + 1). */
  async step(
    model: tf.LayersModel,
    opt: Optimizer,
    shards: TShard[],
  ): Promise<{ loss: number; correct: number }> {
    if (shards.length !== this.workers.length + 1) throw new Error("shard count must be workers + 1");
    const weights = model.getWeights().map((t) => t.dataSync() as Float32Array);
    const remote = shards.slice(1).map((s, k) => this.run(this.workers[k] as Worker, weights, s));
    const local = shardGradients(model, shards[0] as TShard);
    const results = await Promise.all(remote);
    const total = shards.reduce((a, s) => a + s.labels.length, 0);
    const vars = trainableVars(model);
    const grads: tf.NamedTensorMap = {};
    tf.tidy(() => {
      vars.forEach((v, i) => {
        const remote = results.map((r) => ({ values: r.grads[i] as Float32Array, weight: r.n / total }));
        grads[v.name] = tf.keep(weightedMean(local.grads[i] as tf.Tensor, local.n / total, remote));
      });
    });
    tf.dispose(local.grads);
    opt.apply(vars, grads);
    tf.dispose(Object.values(grads));
    // Moving statistics: shard-size-weighted mean of every replica's post-step values.
    const statVars = model.weights.filter((w) => !w.trainable);
    statVars.forEach((w, k) => {
      tf.tidy(() => {
        const remote = results.map((r) => ({ values: r.stats[k] as Float32Array, weight: r.n / total }));
        w.write(weightedMean(w.read(), local.n / total, remote));
      });
    });
    const loss = results.reduce((a, r) => a + r.loss * r.n, local.loss * local.n) / total;
    const correct = results.reduce((a, r) => a + r.correct, local.correct);
    return { loss, correct };
  }

  /** Inference: every thread takes this model's weights (same topology as the pool was created with). */
  async loadWeights(model: tf.LayersModel): Promise<void> {
    const weights = model.getWeights().map((t) => t.dataSync() as Float32Array);
    await Promise.all(this.workers.map((w) => this.send(w, { type: "weights", weights })));
  }

  /** Inference on thread k: class probabilities of consecutive raw images (see predictChunk). */
  async predict(k: number, pixels: Uint8Array, mirror = false): Promise<Float32Array> {
    const worker = this.workers[k];
    if (!worker) throw new Error(`no inference thread ${k} (pool of ${this.workers.length})`);
    // A copy with its own buffer, transferred: a view would clone its whole backing buffer.
    const own = pixels.slice();
    const done = await this.send(worker, { type: "predict", pixels: own, mirror }, [own.buffer]);
    return done.probs as Float32Array;
  }

  private send(
    worker: Worker,
    msg: Record<string, unknown>,
    transfer: ArrayBuffer[] = [],
  ): Promise<TDone & { probs?: Float32Array }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id }, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
