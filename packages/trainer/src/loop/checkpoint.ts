import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TEpochMetrics, TTrainConfig, TTrainSet } from "../types";
import type { TOptimizerState } from "./optimizer";

/** Everything a resumed run needs to continue exactly where the uninterrupted one would be. */
export type TCheckpoint = {
  version: 1;
  /** Completed epochs. */
  epoch: number;
  config: TTrainConfig;
  rngState: number;
  /** The rate ReduceLROnPlateau manages (the per-step rate is lrAt(step, config, ..., this)). */
  learningRate: number;
  plateau: { best: number; wait: number };
  early: { best: number; bestEpoch: number; wait: number };
  history: TEpochMetrics[];
  weights: Float32Array[];
  optimizer: TOptimizerState;
  bestWeights: Float32Array[] | null;
  /** The weight EMA (every weight, in model.weights order) and its update count; null when off. */
  ema: { updates: number; weights: Float32Array[] } | null;
  /** trainDataDigest of the set the run trains on; absent in checkpoints written before it was recorded. */
  dataDigest?: string;
};

/**
 * sha256 over the training set as the run sees it (pixels, labels and target bits, row for row): the seeded
 * shuffles pick faces by index, so a resume on other faces, another order or other targets continues a
 * different run. A checkpoint records it and a resume compares (issue 14: the worker's data order changed).
 */
export function trainDataDigest(set: TTrainSet): string {
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return createHash("sha256")
    .update(bytes(set.pixels))
    .update(bytes(set.labels))
    .update(bytes(set.targets))
    .digest("hex");
}

type TMeta = Omit<TCheckpoint, "weights" | "optimizer" | "bestWeights" | "ema"> & {
  optimizerStep: number;
  emaUpdates?: number;
  /** ema: absent in checkpoints written before the EMA option (read as off). */
  files: { weights: string; optimizer: string; best: string | null; ema?: string | null };
  weightSizes: number[];
  slotCounts: number[];
  /** Element count of each trainable variable (slot arrays have that size). */
  slotSizes: number[];
};

const META = "checkpoint.json";

/** Whether `dir` holds a checkpoint a resume would continue from. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(path.join(dir, META));
}

function pack(arrays: Float32Array[]): Buffer {
  return Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
}

function unpack(buf: Buffer, sizes: number[]): Float32Array[] {
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const out: Float32Array[] = [];
  let off = 0;
  for (const s of sizes) {
    out.push(all.slice(off, off + s));
    off += s;
  }
  if (off !== all.length) throw new Error(`checkpoint data has ${all.length} values, expected ${off}`);
  return out;
}

/**
 * Writes epoch-numbered data files first and the small JSON last (renamed into place), so a kill -9 at any
 * moment leaves either the previous checkpoint or the new one, never a mix. Older files are then removed.
 */
export async function writeCheckpoint(dir: string, ck: TCheckpoint): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tag = `epoch-${String(ck.epoch).padStart(4, "0")}`;
  const files = {
    weights: `${tag}.weights.bin`,
    optimizer: `${tag}.optimizer.bin`,
    best: ck.bestWeights ? `${tag}.best.bin` : null,
    ema: ck.ema ? `${tag}.ema.bin` : null,
  };
  await writeFile(path.join(dir, files.weights), pack(ck.weights));
  await writeFile(path.join(dir, files.optimizer), pack(ck.optimizer.slots.flat()));
  if (ck.bestWeights && files.best) await writeFile(path.join(dir, files.best), pack(ck.bestWeights));
  if (ck.ema && files.ema) await writeFile(path.join(dir, files.ema), pack(ck.ema.weights));
  const { weights, optimizer, bestWeights, ema, ...rest } = ck;
  const meta: TMeta = {
    ...rest,
    optimizerStep: optimizer.step,
    ...(ema ? { emaUpdates: ema.updates } : {}),
    files,
    weightSizes: weights.map((w) => w.length),
    slotCounts: optimizer.slots.map((s) => s.length),
    slotSizes: optimizer.slots.map((s) => s[0]?.length ?? 0),
  };
  await writeFile(path.join(dir, `${META}.tmp`), JSON.stringify(meta));
  await rename(path.join(dir, `${META}.tmp`), path.join(dir, META));
  const keep = new Set(Object.values(files).filter((f): f is string => f !== null));
  for (const f of await readdir(dir)) {
    if (f.startsWith("epoch-") && f.endsWith(".bin") && !keep.has(f))
      await rm(path.join(dir, f), { force: true });
  }
}

export async function readCheckpoint(dir: string): Promise<TCheckpoint | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, META), "utf8");
  } catch {
    return null;
  }
  const meta = JSON.parse(text) as TMeta;
  if (meta.version !== 1) throw new Error(`unsupported checkpoint version ${meta.version} in ${dir}`);
  const weights = unpack(await readFile(path.join(dir, meta.files.weights)), meta.weightSizes);
  const slotSizes: number[] = [];
  meta.slotCounts.forEach((count, i) => {
    for (let k = 0; k < count; k++) slotSizes.push(meta.slotSizes[i] as number);
  });
  const flat = unpack(await readFile(path.join(dir, meta.files.optimizer)), slotSizes);
  const slots: Float32Array[][] = [];
  let k = 0;
  for (const count of meta.slotCounts) {
    slots.push(flat.slice(k, k + count));
    k += count;
  }
  const bestWeights = meta.files.best
    ? unpack(await readFile(path.join(dir, meta.files.best)), meta.weightSizes)
    : null;
  const ema = meta.files.ema
    ? {
        updates: meta.emaUpdates ?? 0,
        weights: unpack(await readFile(path.join(dir, meta.files.ema)), meta.weightSizes),
      }
    : null;
  const {
    files: _f,
    weightSizes: _w,
    slotCounts: _s,
    slotSizes: _z,
    optimizerStep,
    emaUpdates: _e,
    ...rest
  } = meta;
  return { ...rest, weights, optimizer: { step: optimizerStep, slots }, bestWeights, ema };
}
