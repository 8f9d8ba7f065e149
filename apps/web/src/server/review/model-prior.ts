import "server-only";
import type { TModelCalibration, TModelPanelPrior } from "@concord/crowd";
import { buildPanelPrior, calibrateModel } from "../tasks/model-rule";
import { loadCrowdCounts, type TCrowdCounts } from "./crowd-counts";
import { latestPredictions, modelClassesOf, type TLatestPrediction } from "./predictions";

// The dataset's model panel prior, shared by the review ranking and model-assisted stopping: the panel prior of
// its complete panels (images whose identified + imported votes number exactly panelSize, e.g. FER+'s 10-vote
// tallies) and the calibration of its model's distributions (temperature, mix) on its voted images. Built once
// per process per dataset, panel size and prediction set, so every verdict and ranking a process computes for
// one set uses the same prior.
export type TDatasetModelPrior = {
  prior: TModelPanelPrior;
  calibration: TModelCalibration;
  // Complete panels the prior saw, voted images the calibration saw.
  panels: number;
  items: number;
};

// The calibration fits 2 parameters on a grid; its cost is linear in the images (9.6 s for 32,000 FER+-like
// faces, 91 ms for the finder given it): an evenly spaced sample of this many voted images is plenty.
const CALIBRATION_ITEMS = 3000;

const cache = new Map<string, Promise<TDatasetModelPrior | string>>();

async function build(
  datasetId: string,
  panelSize: number,
  loaded?: { images: TCrowdCounts[]; predictions: Map<string, TLatestPrediction> },
): Promise<TDatasetModelPrior | string> {
  const [images, predictions] = loaded
    ? [loaded.images, loaded.predictions]
    : await Promise.all([loadCrowdCounts({ datasetId }), latestPredictions({ datasetId })]);
  const taxonomy = images[0]?.taxonomy ?? [];
  const C = taxonomy.length;
  const panel =
    C >= 2
      ? buildPanelPrior(
          images.flatMap((i) => i.counts),
          C,
          panelSize,
        )
      : null;
  if (!panel) return `no complete panel of ${panelSize} votes yet`;
  const K = modelClassesOf(taxonomy);
  // Voted images within a panel (more votes than a panel, after a raised target, are outside the prior).
  const voted = images.filter((i) => {
    const n = i.counts.reduce((s, x) => s + x, 0);
    return !i.gold && predictions.has(i.imageId) && n > 0 && n <= panelSize;
  });
  const step = Math.max(1, voted.length / CALIBRATION_ITEMS);
  const sample = Array.from(
    { length: Math.min(voted.length, CALIBRATION_ITEMS) },
    (_, k) => voted[Math.floor(k * step)]!,
  );
  const calibration = calibrateModel(
    panel.prior,
    sample.flatMap((i) => i.counts),
    sample.flatMap((i) => predictions.get(i.imageId)!.probs.slice(0, K)),
    K,
  );
  if (!calibration) return "no voted image with a prediction yet";
  const { items, ...cal } = calibration;
  return { prior: panel.prior, calibration: cal, panels: panel.panels, items };
}

// The prior, or why there is none (a sentence). `loaded`: the dataset's crowd counts and latest predictions
// when the caller has them already.
export function datasetModelPrior(
  datasetId: string,
  panelSize: number,
  setId: string,
  loaded?: { images: TCrowdCounts[]; predictions: Map<string, TLatestPrediction> },
): Promise<TDatasetModelPrior | string> {
  const key = `${datasetId}|${panelSize}|${setId}`;
  const hit = cache.get(key);
  if (hit) return hit;
  for (const k of cache.keys()) if (k.startsWith(`${datasetId}|`)) cache.delete(k);
  const built = build(datasetId, panelSize, loaded);
  built.catch(() => cache.delete(key));
  cache.set(key, built);
  return built;
}
