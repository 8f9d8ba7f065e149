/**
 * The per-epoch selection rules on the selection figure (Valid accuracy over the whole split; CHECKPOINT_SELECTION
 * in @concord/jobs/run-config): EarlyStopping (keeps the best epoch's weights, stops after `patience` epochs
 * without a better one; a deferred rebalancing keeps its last epoch instead) and ReduceLROnPlateau's counter. Pure, so train() and its checkpoints share one rule and
 * the tests can drive it with made-up figures.
 */
export type TEarlyState = { best: number; bestEpoch: number; wait: number };
export type TPlateauState = { best: number; wait: number };

export const FRESH_EARLY: TEarlyState = { best: -Infinity, bestEpoch: 0, wait: 0 };
export const FRESH_PLATEAU: TPlateauState = { best: -Infinity, wait: 0 };

export type TSelectionRule = {
  earlyStoppingPatience: number;
  reduceLrPatience: number;
  /** Deferred rebalancing's first epoch (1 = none): a deferred run neither stops nor selects; it keeps its last epoch. */
  rebalanceFromEpoch: number;
};

export type TSelectionStep = {
  early: TEarlyState;
  plateau: TPlateauState;
  /** This epoch is the new best: keep its weights. */
  improved: boolean;
  /** The plateau rule fired (a plateau schedule halves its rate; cosine ignores it). */
  halveRate: boolean;
  stop: boolean;
};

/** Whether a run in this state stops before its next epoch. */
export function shouldStop(early: TEarlyState, rule: TSelectionRule): boolean {
  return (
    rule.earlyStoppingPatience > 0 &&
    early.wait >= rule.earlyStoppingPatience &&
    // A deferred run trains every epoch: its rebalanced phase ends the schedule.
    rule.rebalanceFromEpoch <= 1
  );
}

/** The states after epoch `epoch` (1-based) scored `figure`. */
export function selectAfterEpoch(
  state: { early: TEarlyState; plateau: TPlateauState },
  epoch: number,
  figure: number,
  rule: TSelectionRule,
): TSelectionStep {
  let { early, plateau } = state;
  // A deferred rebalancing keeps its last epoch: each of its epochs replaces the kept one. Selecting among them on
  // accuracy kept the plain model: the first rebalanced epochs' EMA weights are still mostly the plain phase's
  // (0.999^437 = 65% after one FER+ epoch), and the class-balanced loss moves the accuracy by a few faces an
  // epoch while the rare classes' F1 climbs to the schedule's end (packages/trainer/README.md, "Seed 49").
  const deferred = rule.rebalanceFromEpoch > 1;
  if (deferred && epoch === rule.rebalanceFromEpoch) plateau = FRESH_PLATEAU;
  const improved = (deferred && epoch >= rule.rebalanceFromEpoch) || figure > early.best;
  early = improved ? { best: figure, bestEpoch: epoch, wait: 0 } : { ...early, wait: early.wait + 1 };
  let halveRate = false;
  if (figure > plateau.best) plateau = { best: figure, wait: 0 };
  else if (plateau.wait + 1 >= rule.reduceLrPatience) {
    halveRate = true;
    plateau = { ...plateau, wait: 0 };
  } else plateau = { ...plateau, wait: plateau.wait + 1 };
  return { early, plateau, improved, halveRate, stop: shouldStop(early, rule) };
}
