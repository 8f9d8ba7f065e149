import { describe, expect, it } from "vitest";
import {
  FRESH_EARLY,
  FRESH_PLATEAU,
  selectAfterEpoch,
  shouldStop,
  type TSelectionRule,
} from "../src/loop/selection";

/** Drives the rule over made-up per-epoch figures like train() does; the epochs it ran and the kept one. */
function drive(figures: number[], rule: TSelectionRule) {
  let state = { early: FRESH_EARLY, plateau: FRESH_PLATEAU };
  const ran: number[] = [];
  const halved: number[] = [];
  for (let e = 1; e <= figures.length; e++) {
    const s = selectAfterEpoch(state, e, figures[e - 1] as number, rule);
    state = s;
    ran.push(e);
    if (s.halveRate) halved.push(e);
    if (s.stop) break;
  }
  return { ran, kept: state.early.bestEpoch, halved };
}

const plain: TSelectionRule = { earlyStoppingPatience: 2, reduceLrPatience: 2, rebalanceFromEpoch: 1 };

describe("checkpoint selection (EarlyStopping, the plateau counter)", () => {
  it("keeps the best epoch, stops after `patience` epochs without a better one, counts the plateau", () => {
    expect(drive([0.5, 0.7, 0.6, 0.65, 0.9], plain)).toEqual({ ran: [1, 2, 3, 4], kept: 2, halved: [4] });
    // A tie is not better; patience 0 never stops.
    expect(drive([0.5, 0.5, 0.4, 0.6], { ...plain, earlyStoppingPatience: 0 })).toEqual({
      ran: [1, 2, 3, 4],
      kept: 4,
      halved: [3],
    });
  });

  it("deferred rebalancing keeps its last epoch and never stops early", () => {
    const rule = { ...plain, rebalanceFromEpoch: 5 };
    // The plain rule would stop after epoch 3 and keep epoch 1; the deferred one runs every epoch and keeps the
    // last, though epoch 1 and epoch 6 scored higher.
    expect(drive([0.9, 0.6, 0.6, 0.6, 0.7, 0.8, 0.75], plain)).toEqual({
      ran: [1, 2, 3],
      kept: 1,
      halved: [3],
    });
    expect(drive([0.9, 0.6, 0.6, 0.6, 0.7, 0.8, 0.75], rule)).toEqual({
      ran: [1, 2, 3, 4, 5, 6, 7],
      kept: 7,
      halved: [3],
    });
    // No patience ends it, in the plain phase or the rebalanced one.
    expect(drive([0.9, 0.6, 0.6, 0.6, 0.7, 0.6, 0.6, 0.5], rule)).toMatchObject({
      ran: [1, 2, 3, 4, 5, 6, 7, 8],
      kept: 8,
    });
    // A run resumed with the patience used up does not stop either.
    const waited = { best: 0.9, bestEpoch: 1, wait: 3 };
    expect(shouldStop(waited, rule)).toBe(false);
    expect(shouldStop(waited, plain)).toBe(true);
    expect(shouldStop(FRESH_EARLY, plain)).toBe(false);
  });
});
