import type { TPanelPrior } from "../src/index";

/** Panels of 3 votes over 2 classes: (3,0) half the time, (2,1) and (0,3) a quarter each; no smoothing. */
export const TINY_PANEL_PRIOR: TPanelPrior = {
  numClasses: 2,
  panelSize: 3,
  vectors: Float64Array.of(3, 0, 2, 1, 0, 3),
  weights: Float64Array.of(0.5, 0.25, 0.25),
  mean: Float64Array.of(0.625, 0.375),
  novelty: 0,
  alpha: Float64Array.of(1, 1),
};
