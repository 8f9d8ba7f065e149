// Platform parity (issue 14): the same recipe trained through the product (an admin launches a run with
// POST /api/runs, the endpoint the run form posts to; a worker trains it on the dataset's snapshot) and with
// concord-train on the FER+ folder, compared epoch by epoch.
//
//   npm run bench:parity -w @concord/web -- --report runs/x/report.json --password <admin password>
//       launches a run on a running Concord (`npm start`) with the recipe of a concord-train report (model,
//       scheme, eps, epochs, seed and every lever), waits for it, prints both curves and the verdict
//   ... --run <id>       compares a run that already exists instead of launching one
//   ... --dry-run        signs in, finds the dataset and prints the run config it would post
//   ... --first N        the full recipe's first N epochs only: waits until the web run has N epochs, compares
//                        them with the CLI's first N (its history), then cancels the web run. The trainer is
//                        deterministic, so N identical epochs say the two roads train the same run; it costs N
//                        epochs instead of the whole schedule. Exit 0 when every one of the N is within tolerance.
//
// Options: --url (http://localhost:3000), --email (admin@concord.local), --password (or CONCORD_ADMIN_PASSWORD),
// --dataset (slug, ferplus), --tolerance (0.5 points: the issue's bar for the final Valid accuracy),
// --poll (30 s). Exit status 0 when the two final Valid accuracies are within the tolerance.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { signInCookie } from "@concord/web-runner";

type TCliEpoch = {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  validAccuracy: number | null;
  validMacroF1?: number | null;
  validWithoutTrainTwins?: { accuracy: number; macroF1: number; n: number } | null;
  learningRate: number;
  seconds: number;
  cpuSeconds?: number;
};
type TCliEvaluation = {
  accuracy: number;
  macroF1: number;
  n: number;
  withoutTrainTwins?: { accuracy: number; macroF1: number; n: number } | null;
};
type TCliReport = {
  scheme: string;
  eps: number;
  smoothing?: string;
  config: Record<string, unknown>;
  bestEpoch: number;
  checkpointSelectedOn: string;
  wallSeconds: number;
  history: TCliEpoch[];
  valid: TCliEvaluation | null;
};
type TWebEpoch = {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valAccuracy: number | null;
  valAccuracyWithoutTwins: number | null;
  learningRate: number;
  durationMs: number;
};
type TWebEvaluation = {
  split: string;
  accuracy: number;
  macroF1: number;
  n: number;
  withoutTrainTwins?: { accuracy: number; macroF1: number; n: number } | null;
};
type TWebRun = {
  id: string;
  status: string;
  error: string | null;
  currentEpoch: number;
  progress: Record<string, unknown> | null;
  config: Record<string, unknown>;
  backend: string | null;
  codeVersion: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  checkpointSelectedOn: string;
  epochs: TWebEpoch[];
  evaluations: TWebEvaluation[];
};

const { values: args } = parseArgs({
  options: {
    report: { type: "string" },
    run: { type: "string" },
    url: { type: "string", default: "http://localhost:3000" },
    email: { type: "string", default: "admin@concord.local" },
    password: { type: "string" },
    dataset: { type: "string", default: "ferplus" },
    tolerance: { type: "string", default: "0.5" },
    poll: { type: "string", default: "30" },
    first: { type: "string" },
    "dry-run": { type: "boolean", default: false },
  },
});

function fail(message: string): never {
  console.error(`bench:parity: ${message}`);
  process.exit(2);
}

// The CLI's resolved trainer config (packages/trainer TTrainConfig) as the run config the form posts
// (@concord/jobs ZRunConfig): the inverse of the trainer's trainConfigOf. Fields the run config cannot set
// (momentum, weight decay, the plateau's patience) must have the values the worker uses, or the comparison
// would not be of one recipe.
export function runConfigOfReport(report: TCliReport, datasetId: string): Record<string, unknown> {
  const c = report.config;
  const fixed: Record<string, unknown> = {
    momentum: 0.9,
    weightDecay: 0,
    reduceLrFactor: 0.5,
    reduceLrPatience: 2,
    minLearningRate: 1e-5,
  };
  for (const [key, value] of Object.entries(fixed))
    if (c[key] !== value) fail(`the report's ${key} is ${c[key]}; a run can only use ${value}`);
  if ((report.smoothing ?? "crowd") !== "crowd")
    fail(`the report's smoothing is ${report.smoothing}; runs use the crowd distribution`);
  return {
    name: `parity: ${c.model} ${c.schedule} ${c.epochs} epochs, seed ${c.seed}`,
    datasetId,
    model: c.model,
    scheme: report.scheme,
    eps: report.eps,
    epochs: c.epochs,
    patience: c.earlyStoppingPatience,
    learningRate: c.learningRate,
    batchSize: c.batchSize,
    seed: c.seed,
    optimizer: c.optimizer,
    augment: c.augment,
    classWeighting: c.classWeighting,
    schedule: c.schedule,
    warmupEpochs: c.warmupEpochs,
    ema: c.emaDecay,
    mixup: c.mixupAlpha,
    cutmix: c.cutmixAlpha,
    logitAdjust: c.logitAdjustTau,
    // A report written before deferred rebalancing existed: every epoch rebalanced.
    rebalanceFrom: c.rebalanceFromEpoch ?? 1,
    // Before the class-balanced loss existed: inverse-frequency weights (beta 1).
    classBalanceBeta: c.classBalanceBeta ?? 1,
    ttaEval: c.ttaEval,
  };
}

async function api<T>(cookie: string, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const url = new URL(path, args.url);
  const res = await fetch(url, {
    method,
    headers: {
      cookie,
      origin: url.origin,
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) fail(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 400)}`);
  return JSON.parse(text) as T;
}

const pct = (x: number | null | undefined) => (x == null ? "–" : `${(x * 100).toFixed(2)}%`);
const pts = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null ? "–" : `${((b - a) * 100 >= 0 ? "+" : "") + ((b - a) * 100).toFixed(2)}`;

async function main() {
  if (!args.report) fail("--report <concord-train report.json> is required");
  const report = JSON.parse(await readFile(args.report, "utf8")) as TCliReport;
  const password = args.password ?? process.env.CONCORD_ADMIN_PASSWORD;
  if (!password) fail("--password (or CONCORD_ADMIN_PASSWORD): the admin's password that npm start printed");
  const cookie = await signInCookie(args.url, args.email, password);

  let runId = args.run;
  if (!runId) {
    const { datasets } = await api<{ datasets: { id: string; slug: string }[] }>(
      cookie,
      "GET",
      "/api/datasets",
    );
    const dataset = datasets.find((d) => d.slug === args.dataset);
    if (!dataset)
      fail(`no dataset "${args.dataset}" (have: ${datasets.map((d) => d.slug).join(", ") || "none"})`);
    const config = runConfigOfReport(report, dataset.id);
    if (args["dry-run"]) {
      console.log(`would launch: ${JSON.stringify(config)}`);
      return;
    }
    const run = await api<{ id: string }>(cookie, "POST", "/api/runs", config);
    runId = run.id;
    console.log(`launched run ${runId}: ${JSON.stringify(config)}`);
  }

  const pollMs = Number(args.poll) * 1000;
  const first = args.first === undefined ? null : Number(args.first);
  if (first !== null && !(Number.isInteger(first) && first >= 1 && first <= report.history.length))
    fail(`--first must be a whole number of epochs from 1 to the CLI's ${report.history.length}`);
  let run: TWebRun;
  for (;;) {
    run = await api<TWebRun>(cookie, "GET", `/api/runs/${runId}`);
    if (first !== null && run.epochs.length >= first) return compareFirst(cookie, report, run, first);
    if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(run.status)) break;
    const last = run.epochs.at(-1);
    console.log(
      `${new Date().toISOString()} ${run.status} epoch ${run.currentEpoch}${last ? `, last valid ${pct(last.valAccuracy)}` : ""}`,
    );
    await new Promise((r) => setTimeout(r, pollMs));
  }
  if (run.status !== "SUCCEEDED") fail(`run ${runId} ended ${run.status}: ${run.error ?? ""}`);

  const webValid = run.evaluations.find((e) => e.split === "VALID");
  const cliValid = report.valid;
  const started = run.startedAt ? Date.parse(run.startedAt) : Number.NaN;
  const finished = run.finishedAt ? Date.parse(run.finishedAt) : Number.NaN;
  console.log(
    `\nrun ${run.id} (web, backend ${run.backend}, code ${run.codeVersion}) vs ${args.report} (CLI)`,
  );
  console.log(
    `recipe: ${JSON.stringify(runConfigOfReport(report, "-"), (k, v) => (k === "name" || k === "datasetId" ? undefined : v))}`,
  );
  printCurves(report, run, Math.max(report.history.length, run.epochs.length));
  const tolerance = Number(args.tolerance);
  const diff = cliValid && webValid ? Math.abs(webValid.accuracy - cliValid.accuracy) * 100 : Number.NaN;
  console.log(
    `\nfinal (the kept checkpoint; selected on ${report.checkpointSelectedOn} / ${run.checkpointSelectedOn}):` +
      `\n  CLI: Valid ${pct(cliValid?.accuracy)}, macro-F1 ${cliValid?.macroF1.toFixed(3)}, without train twins ${pct(cliValid?.withoutTrainTwins?.accuracy)} (n=${cliValid?.withoutTrainTwins?.n}), best epoch ${report.bestEpoch}, wall ${(report.wallSeconds / 60).toFixed(1)} min` +
      `\n  web: Valid ${pct(webValid?.accuracy)}, macro-F1 ${webValid?.macroF1.toFixed(3)}, without train twins ${pct(webValid?.withoutTrainTwins?.accuracy)} (n=${webValid?.withoutTrainTwins?.n}), wall ${((finished - started) / 60_000).toFixed(1)} min (start to finish, worker)` +
      `\n  difference ${diff.toFixed(2)} points: ${diff <= tolerance ? "within" : "NOT within"} ${tolerance}`,
  );
  process.exit(diff <= tolerance ? 0 : 1);
}

/** Both curves, epoch by epoch, as a markdown table (the README's parity tables). */
function printCurves(report: TCliReport, run: TWebRun, n: number) {
  console.log(
    "\n| epoch | CLI valid acc | web valid acc | web - CLI (points) | CLI without train twins | web without train twins | CLI lr | web lr | CLI train loss | web train loss | CLI epoch s | web epoch s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (let i = 0; i < n; i++) {
    const c = report.history[i];
    const w = run.epochs[i];
    console.log(
      `| ${c?.epoch ?? w?.epoch} | ${pct(c?.validAccuracy)} | ${pct(w?.valAccuracy)} | ${pts(c?.validAccuracy, w?.valAccuracy)} | ${pct(c?.validWithoutTrainTwins?.accuracy)} | ${pct(w?.valAccuracyWithoutTwins)} | ${c?.learningRate.toExponential(2) ?? "–"} | ${w?.learningRate.toExponential(2) ?? "–"} | ${c?.loss.toFixed(4) ?? "–"} | ${w?.trainLoss.toFixed(4) ?? "–"} | ${c ? c.seconds.toFixed(0) : "–"} | ${w ? (w.durationMs / 1000).toFixed(0) : "–"} |`,
    );
  }
}

/** --first N: the first N epochs of both roads, then the web run is cancelled (it has answered the question). */
async function compareFirst(cookie: string, report: TCliReport, run: TWebRun, n: number) {
  console.log(
    `\nrun ${run.id} (web, backend ${run.backend}, code ${run.codeVersion}) vs ${args.report} (CLI): the first ${n} of ${report.history.length} epochs of one recipe`,
  );
  printCurves(report, run, n);
  if (run.status === "RUNNING" || run.status === "QUEUED") {
    await api(cookie, "POST", `/api/runs/${run.id}/cancel`, {});
    console.log(`\ncancelled web run ${run.id} after epoch ${run.epochs.length}`);
  }
  const tolerance = Number(args.tolerance);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const c = report.history[i]?.validAccuracy;
    const w = run.epochs[i]?.valAccuracy;
    worst = Math.max(worst, c == null || w == null ? Number.POSITIVE_INFINITY : Math.abs(w - c) * 100);
  }
  console.log(
    `largest difference over the first ${n} epochs: ${worst.toFixed(2)} points: ${worst <= tolerance ? "within" : "NOT within"} ${tolerance}`,
  );
  process.exit(worst <= tolerance ? 0 : 1);
}

await main();
