/**
 * The per-epoch selection rules on the selection figure (Valid accuracy over the whole split; CHECKPOINT_SELECTION
 * in @concord/jobs/run-config): EarlyStopping (keeps the best epoch's weights, stops after `patience` epochs
 * without a better one) and ReduceLROnPlateau's counter. Pure, so train() and its checkpoints share one rule and
 * the tests can drive it with made-up figures.
 */
export type TEarlyState = { best: number; bestEpoch: number; wait: number };
export type TPlateauState = { best: number; wait: number };

export const FRESH_EARLY: TEarlyState = { best: -Infinity, bestEpoch: 0, wait: 0 };
export const FRESH_PLATEAU: TPlateauState = { best: -Infinity, wait: 0 };

export type TSelectionRule = {
  earlyStoppingPatience: number;
  reduceLrPatience: number;
  /** Deferred rebalancing's first epoch (1 = none): selection starts over there and no stop comes before it. */
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

/** Whether a run in this state stops before its next epoch (epoch = the last one done, 1-based; 0 = none). */
export function shouldStop(early: TEarlyState, epoch: number, rule: TSelectionRule): boolean {
  return (
    rule.earlyStoppingPatience > 0 &&
    early.wait >= rule.earlyStoppingPatience &&
    // A deferred run always reaches its rebalanced phase.
    epoch >= rule.rebalanceFromEpoch
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
  // The epochs before a deferred rebalancing fitted the plain loss: the rebalanced phase selects among its own
  // epochs (it trades accuracy for the rare classes, so it would rarely beat a plain epoch's figure).
  if (rule.rebalanceFromEpoch > 1 && epoch === rule.rebalanceFromEpoch) {
    early = FRESH_EARLY;
    plateau = FRESH_PLATEAU;
  }
  const improved = figure > early.best;
  early = improved ? { best: figure, bestEpoch: epoch, wait: 0 } : { ...early, wait: early.wait + 1 };
  let halveRate = false;
  if (figure > plateau.best) plateau = { best: figure, wait: 0 };
  else if (plateau.wait + 1 >= rule.reduceLrPatience) {
    halveRate = true;
    plateau = { ...plateau, wait: 0 };
  } else plateau = { ...plateau, wait: plateau.wait + 1 };
  return { early, plateau, improved, halveRate, stop: shouldStop(early, epoch, rule) };
}
