import { FERPLUS_EMOTIONS, ferplusProcess, smoothTargets } from "@concord/crowd";

/**
 * Training targets from FER+ vote counts (10 per face), using @concord/crowd for the FER+ schemes and the
 * smoothing, so the math lives in one place:
 * - majority: consensus = FER+ majority label (faces without one are dropped);
 * - cel / pld: consensus = top class of the FER+ "crossentropy"/"probability" distribution (same processing);
 * then target = (1 - eps) * onehot(consensus) + eps * q with q = that crowd distribution (smoothing "crowd")
 * or uniform. eps = 1 with crowd q is FER+'s own CEL target; "pld" additionally samples a one-hot from the
 * target every epoch (FER+ probabilistic label drawing; see TTrainConfig.sampleTargets).
 */
export type TScheme = "majority" | "cel" | "pld";
export const SCHEMES: readonly TScheme[] = ["majority", "cel", "pld"];
export type TSmoothing = "crowd" | "uniform";
export type TTargetOptions = { scheme: TScheme; eps: number; smoothing: TSmoothing };

export const EMOTION_CLASSES = [...FERPLUS_EMOTIONS] as string[];

/** Majority label per face (FER+ evaluation protocol), -1 when no class holds more than half the votes. */
export function majorityLabels(counts: Float64Array, faces: number): Int32Array {
  const out = new Int32Array(faces);
  for (let i = 0; i < faces; i++)
    out[i] = argmax(ferplusProcess(counts.subarray(i * 10, i * 10 + 10), "majority"));
  return out;
}

function argmax(dist: ArrayLike<number> | null): number {
  if (!dist) return -1;
  let best = 0;
  for (let c = 1; c < dist.length; c++) if ((dist[c] as number) > (dist[best] as number)) best = c;
  return best;
}

/** Targets for the kept faces: `kept` indexes into the input faces; rows of `targets` follow `kept`. */
export function ferplusTargets(
  counts: Float64Array,
  faces: number,
  opts: TTargetOptions,
): { kept: number[]; labels: Int32Array; targets: Float32Array } {
  if (!SCHEMES.includes(opts.scheme))
    throw new Error(`unknown scheme "${opts.scheme}"; expected ${SCHEMES.join(", ")}`);
  const mode = opts.scheme === "majority" ? "majority" : "crossentropy";
  const kept: number[] = [];
  const q: number[] = [];
  const consensus: number[] = [];
  for (let i = 0; i < faces; i++) {
    const dist = ferplusProcess(counts.subarray(i * 10, i * 10 + 10), mode);
    if (!dist) continue;
    kept.push(i);
    consensus.push(argmax(dist));
    // q is the crowd's vote distribution over the 8 emotions (raw counts, not the processed one-hot).
    const raw = counts.subarray(i * 10, i * 10 + 8);
    const emo = opts.scheme === "majority" ? Array.from(raw) : Array.from(dist);
    q.push(...emo);
  }
  const labels = Int32Array.from(consensus);
  const targets = smoothTargets({
    consensus: labels,
    numClasses: 8,
    eps: opts.eps,
    q: opts.smoothing === "uniform" ? "uniform" : q,
  });
  return { kept, labels, targets };
}
