import "server-only";
import { fieldError, HttpError } from "../http";
import { loadCrowdCounts } from "../review/crowd-counts";
import { datasetModelPrior } from "../review/model-prior";
import { latestPredictions, latestProbsOf, newestSetOf } from "../review/predictions";
import { pool, query } from "../sql";
import { modelVerdict, type TModelRule, type TStoppingPolicy } from "./model-rule";

// Model-assisted stopping (issue 12, section 4). With Dataset.stoppingPrior = MODEL and a SUCCEEDED prediction
// set, each image's "done" uses its latest out-of-sample prediction as the prior (model-rule.ts) instead of the
// panel rule's signatures. The rule is JS, the assignment is SQL, so the verdicts are cached per image in
// "ImageTally" (modelDone for the current counts, modelStopOn: the labels whose next vote finishes it; see
// migration 20261130200000_review_queue) and kept current at three moments:
// - sync (syncModelStopping): the dataset's wanted state (the newest set under MODEL, else none, and its
//   policy) differs from what the verdicts were computed for (Dataset.stoppingSetId / stoppingFit): the admin
//   changed the setting, a predict job finished, the policy changed. Fits the prior on the dataset's voted
//   images, then writes every open image's verdict. Started by the next-task request that notices (in the
//   background: assignment keeps using the cached flags) or awaited by the admin's setting change.
// - a vote (refreshModelVerdicts, from castVote / undo): the vote trigger already applied modelStopOn; the web
//   then recomputes the image's verdict for its new counts (one read, one guarded write).
// - otherwise nothing: picking the next image reads "done" through the open-images index as before.
// Every verdict write is guarded by the counts it was computed from, so a vote racing it wins.

// What the verdicts were computed with (Dataset.stoppingFit): the prediction set, the policy, the model's
// calibration (temperature, mix) and how many complete panels / voted images the prior and calibration saw.
export type TStoppingFit = {
  setId: string;
  policy: TStoppingPolicy;
  calibration: TModelRule["calibration"];
  panels: number;
  items: number;
};

export type TDatasetStopping = TStoppingPolicy & {
  id: string;
  stoppingPrior: "PANEL" | "MODEL";
  stoppingSetId: string | null;
  stoppingFit: TStoppingFit | null;
  newestSetId: string | null;
};

// The dataset columns the sync compares, as a select list of "Dataset" d (shared with the assignment's read).
export const STOPPING_COLUMNS = `d."stoppingPrior"::text AS "stoppingPrior", d."stoppingSetId", d."stoppingFit",
  ${newestSetOf("d.id")} AS "newestSetId"`;

const DATASET = {
  name: "stopping.dataset",
  text: `SELECT d.id, d."minVotes", d."maxVotes", d."targetConfidence", ${STOPPING_COLUMNS}
         FROM "Dataset" d WHERE d.id = $1`,
};

const samePolicy = (a: TStoppingPolicy, b: TStoppingPolicy) =>
  a.minVotes === b.minVotes && a.maxVotes === b.maxVotes && a.targetConfidence === b.targetConfidence;

// Prediction sets the model prior could not be fitted for (no complete panel, or no voted image with a
// prediction), per dataset and policy, with the reason: not retried on every request, until a newer set or
// another policy.
const unfittable = new Map<string, { key: string; reason: string }>();
const wantedKey = (d: TDatasetStopping) =>
  `${d.newestSetId}|${d.minVotes}|${d.maxVotes}|${d.targetConfidence}`;

function wantedSet(d: TDatasetStopping): string | null {
  return d.stoppingPrior === "MODEL" ? d.newestSetId : null;
}

export function isStoppingInSync(d: TDatasetStopping): boolean {
  const wanted = wantedSet(d);
  if (wanted !== d.stoppingSetId) return wanted !== null && unfittable.get(d.id)?.key === wantedKey(d);
  return wanted === null || (d.stoppingFit !== null && samePolicy(d.stoppingFit.policy, d));
}

// Writes verdicts: { id, votes, counts, done, stop } per image, each only if the tally still has those counts.
// done null: no prediction, the panel rule applies. $1 JSON array.
const WRITE_VERDICTS = {
  name: "stopping.writeVerdicts",
  text: `
UPDATE "ImageTally" t
SET "modelDone" = x.done, "modelStopOn" = coalesce(x.stop, ARRAY[]::text[]),
    "done" = concord_image_done(t.votes, t.counts, t.target, x.done, ds."maxVotes", ds."doneSignatures")
FROM "Dataset" ds, jsonb_to_recordset($1::jsonb) AS x(id text, votes int, counts jsonb, done boolean, stop text[])
WHERE t."imageId" = x.id AND t.votes = x.votes AND t.counts = x.counts AND ds.id = t."datasetId"`,
};

// Back to the panel rule for every image of the dataset. $1 dataset.
const CLEAR_VERDICTS = {
  name: "stopping.clearVerdicts",
  text: `
UPDATE "ImageTally" t
SET "modelDone" = NULL, "modelStopOn" = ARRAY[]::text[],
    "done" = concord_image_done(t.votes, t.counts, t.target, NULL, ds."maxVotes", ds."doneSignatures")
FROM "Image" i, "Dataset" ds
WHERE i."datasetId" = $1 AND ds.id = $1 AND t."imageId" = i.id
  AND (t."modelDone" IS NOT NULL OR t."modelStopOn" <> ARRAY[]::text[])`,
};

// $1 dataset, $2 set id or null, $3 fit JSON or null.
const MARK = {
  name: "stopping.mark",
  text: `UPDATE "Dataset" SET "stoppingSetId" = $2, "stoppingFit" = $3::jsonb WHERE id = $1`,
};

// The open, non-gold tallies of a dataset (the only ones a verdict changes anything for). $1 dataset.
const OPEN_TALLIES = {
  name: "stopping.openTallies",
  text: `SELECT t."imageId" AS id, t.votes, t.counts FROM "ImageTally" t JOIN "Image" i ON i.id = t."imageId"
         JOIN "Dataset" d ON d.id = i."datasetId"
         WHERE i."datasetId" = $1 AND NOT t.gold AND t.votes < d."maxVotes"`,
};

// Images just voted on (or un-voted) in datasets under the model rule, with what their verdict needs.
// $1 image ids.
const REFRESH = {
  name: "stopping.refresh",
  text: `SELECT t."imageId" AS id, t."datasetId", t.votes, t.counts, t.gold, d.taxonomy, d."stoppingFit" AS fit,
                ${latestProbsOf(`t."imageId"`)} AS probs
         FROM "ImageTally" t JOIN "Dataset" d ON d.id = t."datasetId"
         WHERE t."imageId" = ANY($1::text[]) AND d."stoppingSetId" IS NOT NULL`,
};

type TTallyRow = { id: string; votes: number; counts: Record<string, number> };
type TVerdictRow = {
  id: string;
  votes: number;
  counts: Record<string, number>;
  done: boolean | null;
  stop: string[];
};

const BATCH = 2000;

function verdictRow(
  tally: TTallyRow,
  taxonomy: readonly string[],
  probs: ArrayLike<number> | null | undefined,
  rule: TModelRule,
  policy: TStoppingPolicy,
): TVerdictRow {
  if (!probs) return { ...tally, done: null, stop: [] };
  const counts = taxonomy.map((label) => tally.counts[label] ?? 0);
  const v = modelVerdict(counts, probs, rule, policy);
  return { ...tally, done: v.done, stop: v.stopOn.map((l) => taxonomy[l]!) };
}

async function writeVerdicts(rows: TVerdictRow[]) {
  for (let k = 0; k < rows.length; k += BATCH)
    await query(WRITE_VERDICTS, [JSON.stringify(rows.slice(k, k + BATCH))]);
}

// Fits the rule for this set (review/model-prior.ts), records it, then writes every open image's verdict.
// Returns why it could not, or null.
async function fitAndWrite(d: TDatasetStopping, setId: string): Promise<string | null> {
  const [images, predictions] = await Promise.all([
    loadCrowdCounts({ datasetId: d.id }),
    latestPredictions({ datasetId: d.id }),
  ]);
  const model = await datasetModelPrior(d.id, d.maxVotes, setId, { images, predictions });
  if (typeof model === "string") return model;
  const taxonomy = images[0]?.taxonomy ?? [];
  const K = model.calibration.numModelClasses;
  const policy = { minVotes: d.minVotes, maxVotes: d.maxVotes, targetConfidence: d.targetConfidence };
  const fit: TStoppingFit = {
    setId,
    policy,
    calibration: model.calibration,
    panels: model.panels,
    items: model.items,
  };
  await query(MARK, [d.id, setId, JSON.stringify(fit)]);
  const open = await query<TTallyRow>(OPEN_TALLIES, [d.id]);
  await writeVerdicts(
    open.map((t) => verdictRow(t, taxonomy, predictions.get(t.id)?.probs.slice(0, K), model, policy)),
  );
  return null;
}

async function syncNow(datasetId: string): Promise<void> {
  const client = await pool().connect();
  const key = `concord.stopping:${datasetId}`;
  try {
    // One syncing process per dataset; another one finding it busy leaves it to the holder.
    const [lock] = (await client.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS ok`, [key])).rows;
    if (!lock?.ok) return;
    try {
      const [d] = await query<TDatasetStopping>(DATASET, [datasetId]);
      if (!d || isStoppingInSync(d)) return;
      const wanted = wantedSet(d);
      if (wanted === null) {
        await query(MARK, [d.id, null, null]);
        await query(CLEAR_VERDICTS, [d.id]);
        return;
      }
      const reason = await fitAndWrite(d, wanted);
      if (reason) unfittable.set(d.id, { key: wantedKey(d), reason });
      else unfittable.delete(d.id);
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext($1))`, [key]);
    }
  } finally {
    client.release();
  }
}

const inflight = new Map<string, Promise<void>>();

// Brings the dataset's per-image verdicts in line with its setting, newest predictions and policy (no-op when
// they are). Concurrent callers in one process share one run; `fresh` (a setting just changed) waits for a
// running one and then runs again, so that it sees the change.
export function syncModelStopping(datasetId: string, options: { fresh?: boolean } = {}): Promise<void> {
  const running = inflight.get(datasetId);
  if (running && !options.fresh) return running;
  const run: Promise<void> = (running ?? Promise.resolve())
    .catch(() => {})
    .then(() => syncNow(datasetId))
    .finally(() => {
      if (inflight.get(datasetId) === run) inflight.delete(datasetId);
    });
  inflight.set(datasetId, run);
  return run;
}

type TRefreshRow = TTallyRow & {
  datasetId: string;
  gold: boolean;
  taxonomy: string[];
  fit: TStoppingFit;
  probs: number[] | null;
};

// After a vote or an undo on these images: their verdicts for the new counts (images of datasets under the
// panel rule are not read back at all: the statement filters them out).
export async function refreshModelVerdicts(imageIds: string[]): Promise<void> {
  const rows = await query<TRefreshRow>(REFRESH, [imageIds]);
  const verdicts: TVerdictRow[] = [];
  for (const r of rows) {
    const model = await datasetModelPrior(r.datasetId, r.fit.policy.maxVotes, r.fit.setId);
    if (typeof model === "string") continue; // panels gone since the sync: the image keeps asking for votes
    const K = r.fit.calibration.numModelClasses;
    // The calibration the sync recorded (a restarted process rebuilds the same prior from today's panels).
    const rule = { prior: model.prior, calibration: r.fit.calibration };
    verdicts.push(verdictRow(r, r.taxonomy, r.gold ? null : r.probs?.slice(0, K), rule, r.fit.policy));
  }
  if (verdicts.length > 0) await writeVerdicts(verdicts);
}

export type TStoppingStatus = {
  chosen: "PANEL" | "MODEL";
  inUse: "PANEL" | "MODEL";
  setId: string | null;
  newestSetId: string | null;
  fit: TStoppingFit | null;
  // Open images whose done-ness the model verdict decides now.
  modelImages: number;
  note: string;
};

const MODEL_IMAGES = {
  name: "stopping.modelImages",
  text: `SELECT count(*)::int AS n FROM "ImageTally" t JOIN "Image" i ON i.id = t."imageId"
         WHERE i."datasetId" = $1 AND t."modelDone" IS NOT NULL`,
};

export async function getStoppingStatus(datasetId: string): Promise<TStoppingStatus | null> {
  const [d] = await query<TDatasetStopping>(DATASET, [datasetId]);
  if (!d) return null;
  const [{ n }] = (await query<{ n: number }>(MODEL_IMAGES, [datasetId])) as [{ n: number }];
  const inUse = d.stoppingSetId ? "MODEL" : "PANEL";
  const note =
    d.newestSetId === null
      ? "No predictions for this dataset yet: the model prior becomes available after a predict job."
      : d.stoppingPrior === "PANEL"
        ? "Panel prior chosen."
        : d.stoppingSetId === null
          ? unfittable.has(d.id)
            ? `Model prior chosen but not fitted (${unfittable.get(d.id)!.reason}); the panel prior is in use.`
            : "Model prior chosen; the verdicts are being computed (the panel prior is in use until then)."
          : d.stoppingSetId !== d.newestSetId
            ? "Model prior in use; newer predictions exist and are being synced."
            : "Model prior in use.";
  return {
    chosen: d.stoppingPrior,
    inUse,
    setId: d.stoppingSetId,
    newestSetId: d.newestSetId,
    fit: d.stoppingFit,
    modelImages: n,
    note,
  };
}

const SET_PRIOR = {
  name: "stopping.setPrior",
  text: `UPDATE "Dataset" SET "stoppingPrior" = $2::"StoppingPrior", "updatedAt" = now() AT TIME ZONE 'UTC'
         WHERE id = $1`,
};

// The admin's setting: MODEL is refused (400) until the dataset has a SUCCEEDED prediction set. Waits for
// the sync, so the answer says which prior is in use.
export async function setStoppingPrior(
  datasetId: string,
  prior: "PANEL" | "MODEL",
): Promise<TStoppingStatus> {
  const [d] = await query<TDatasetStopping>(DATASET, [datasetId]);
  if (!d) throw new HttpError(404, `Unknown dataset "${datasetId}"`);
  if (prior === "MODEL" && d.newestSetId === null)
    throw fieldError("stoppingPrior", "no predictions for this dataset yet: run a predict job first");
  await query(SET_PRIOR, [datasetId, prior]);
  await syncModelStopping(datasetId, { fresh: true });
  return (await getStoppingStatus(datasetId))!;
}
