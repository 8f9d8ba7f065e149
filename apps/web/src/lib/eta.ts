// Time left in a training run from its epoch times (pure; the jobs page and the live run view).

export type TEtaInput = {
  /** Epochs configured (the most the run can take). */
  epochs: number;
  /** Epochs finished. */
  currentEpoch: number;
  /** Wall time of each finished epoch, in order (EpochMetric.durationMs). */
  epochDurationsMs: number[];
  /** Position inside the current epoch, when known. */
  batch?: number | null;
  batches?: number | null;
  /** Early-stopping patience (0 = off): with it the run may end before `epochs`. */
  patience: number;
};

export type TEta = {
  remainingMs: number;
  msPerEpoch: number;
  /** Epochs still to run, counting the unfinished part of the current one. */
  epochsLeft: number;
  /** Early stopping may end the run sooner: the ETA is an upper bound. */
  isUpperBound: boolean;
};

/** Mean of the last (up to) three epochs, times the epochs left; null before the first epoch ends. */
export function trainingEta(input: TEtaInput): TEta | null {
  const recent = input.epochDurationsMs.filter((d) => d > 0).slice(-3);
  if (recent.length === 0 || input.epochs <= 0) return null;
  const msPerEpoch = recent.reduce((a, b) => a + b, 0) / recent.length;
  const inEpoch = input.batch && input.batches ? Math.min(1, input.batch / input.batches) : 0;
  const epochsLeft = Math.max(0, input.epochs - input.currentEpoch - inEpoch);
  return {
    remainingMs: epochsLeft * msPerEpoch,
    msPerEpoch,
    epochsLeft,
    isUpperBound: input.patience > 0 && epochsLeft > 0,
  };
}

/** "45 s", "12 min", "2 h 05 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

export function describeEta(eta: TEta | null): string {
  if (!eta) return "ETA after the first epoch";
  if (eta.epochsLeft === 0) return "finishing";
  const left = `${eta.isUpperBound ? "≤ " : "~"}${formatDuration(eta.remainingMs)} left`;
  return `${left} (${eta.epochsLeft.toFixed(eta.epochsLeft % 1 ? 1 : 0)} epochs at ${formatDuration(eta.msPerEpoch)} each${eta.isUpperBound ? "; early stopping may end it sooner" : ""})`;
}
