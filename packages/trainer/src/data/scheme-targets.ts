import { smoothTargets } from "@concord/crowd";
import type { TRunScheme } from "@concord/jobs/run-config";

export type TSmoothing = "crowd" | "uniform";

export type TSchemeTargetsInput = {
  scheme: TRunScheme;
  /** The weight of q (EPS_RULE of @concord/jobs/run-config), the same for every scheme. */
  eps: number;
  numClasses: number;
  /** Consensus class per item (-1 = no target: the row stays zero). */
  consensus: Int32Array;
  /** N x C: the scheme's distribution per item (a snapshot's soft labels, FER+ processed votes). */
  dist: ArrayLike<number>;
  /** N x C: the crowd's vote shares per item, q of `majority` (whose own distribution is one-hot); may be
   *  null when eps is 0 or smoothing is uniform (q is then unused). */
  crowd: ArrayLike<number> | null;
  /** "uniform": classic label smoothing (concord-train --smoothing uniform) instead of the crowd's q. */
  smoothing?: TSmoothing;
};

/**
 * The training target of every scheme, for the worker and `concord-train` alike:
 * (1 - eps) * onehot(consensus) + eps * q, q = the crowd's vote shares for majority, the scheme's distribution
 * otherwise. PLD ("probability") then draws a one-hot from this target every epoch (drawsTargets), so eps
 * means the same thing for all four.
 */
export function schemeTargets(input: TSchemeTargetsInput): Float32Array {
  const { scheme, eps, numClasses, consensus } = input;
  let q: ArrayLike<number> | "uniform";
  if (input.smoothing === "uniform" || eps === 0) q = "uniform";
  else if (scheme === "majority") {
    if (!input.crowd) throw new Error("majority with eps > 0 needs the crowd's vote shares");
    q = input.crowd;
  } else q = input.dist;
  return smoothTargets({ consensus, numClasses, eps, q });
}
