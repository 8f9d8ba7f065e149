import { FERPLUS_EMOTIONS, ferplusProcess, type TFerplusMode } from "@concord/crowd";
import { RUN_SCHEMES, type TRunScheme } from "@concord/jobs/run-config";
import { schemeTargets, type TSmoothing } from "./scheme-targets";

export type { TSmoothing };

/**
 * Training targets from FER+ vote counts (10 per face), using @concord/crowd for the FER+ processing and the
 * smoothing, so the math lives in one place. Per scheme (@concord/jobs RUN_SCHEMES, FER+ paper MV / PLD / CEL /
 * ML): the consensus is the top class of microsoft/FERPlus's processed distribution for that mode (faces it
 * excludes are dropped), and the target is schemeTargets(): (1 - eps) * onehot(consensus) + eps * q, q = the
 * crowd's vote shares for majority, the processed distribution otherwise (or uniform with smoothing
 * "uniform"). eps = 1 is FER+'s own CEL / PLD / ML distribution; PLD also draws a one-hot per epoch.
 */
export type TTargetOptions = { scheme: TRunScheme; eps: number; smoothing: TSmoothing };

const MODE: Record<TRunScheme, TFerplusMode> = {
  majority: "majority",
  probability: "probability",
  crossentropy: "crossentropy",
  multitarget: "multi_target",
};

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
  if (!RUN_SCHEMES.includes(opts.scheme))
    throw new Error(`unknown scheme "${opts.scheme}"; expected ${RUN_SCHEMES.join(", ")}`);
  const mode = MODE[opts.scheme];
  const kept: number[] = [];
  const dist: number[] = [];
  const crowd: number[] = [];
  const consensus: number[] = [];
  for (let i = 0; i < faces; i++) {
    const d = ferplusProcess(counts.subarray(i * 10, i * 10 + 10), mode);
    if (!d) continue;
    kept.push(i);
    consensus.push(argmax(d));
    dist.push(...d);
    // The crowd's votes over the 8 emotions (raw counts; schemeTargets normalises each row).
    crowd.push(...counts.subarray(i * 10, i * 10 + 8));
  }
  const labels = Int32Array.from(consensus);
  const targets = schemeTargets({
    scheme: opts.scheme,
    eps: opts.eps,
    numClasses: 8,
    consensus: labels,
    dist,
    crowd,
    smoothing: opts.smoothing,
  });
  return { kept, labels, targets };
}
