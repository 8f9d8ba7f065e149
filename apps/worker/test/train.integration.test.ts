// End to end against the running Postgres and Redis with real worker processes: a run progresses to
// SUCCEEDED with evaluations; kill -9 mid-run resumes from the checkpoint with identical final weights;
// cancel stops within one batch; bad payloads fail without retries.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { createJobsClient, type TJobsClient, trainJobId } from "@concord/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRAIN_DATA_VERSION } from "../src/train-data";
import { createFixture, type TFixture } from "./fixtures";
import { createRun, isGone, spawnWorker, type TWorkerProc, waitFor } from "./harness";

let t: TTestDatabase;
let fx: TFixture;
let jobs: TJobsClient;
let artifacts: string;
let env: Record<string, string>;
const workers: TWorkerProc[] = [];
const prefix = `concord-wtest-${randomBytes(4).toString("hex")}`;

function startWorker() {
  const w = spawnWorker(env);
  workers.push(w);
  return w;
}

async function waitStatus(runId: string, statuses: string[], timeoutMs = 90_000) {
  return waitFor(
    `run ${runId} in ${statuses.join("/")}`,
    async () => {
      const run = await t.db.trainingRun.findUniqueOrThrow({ where: { id: runId } });
      return statuses.includes(run.status) ? run : null;
    },
    timeoutMs,
  );
}

beforeAll(async () => {
  t = await createTestDatabase("concord_worker_it");
  // Two VALID faces are copies of TRAIN faces (one exact, one near): the run reports VALID without them too.
  fx = await createFixture(t.db, { TRAIN: 64, VALID: 16, TEST: 16 }, 1, { VALID: { exact: 1, near: 1 } });
  jobs = createJobsClient({ prefix });
  artifacts = mkdtempSync(join(tmpdir(), "concord-artifacts-"));
  env = { DATABASE_URL: t.url, CONCORD_QUEUE_PREFIX: prefix, CONCORD_ARTIFACTS_DIR: artifacts };
});

afterAll(async () => {
  if (process.env.DEBUG_WORKER_LOGS) for (const w of workers) console.log(w.logs.join("\n"));
  for (const w of workers) if (w.proc.exitCode === null) w.proc.kill("SIGKILL");
  for (const name of ["labels", "train", "train-gpu", "evaluate"] as const) {
    await jobs?.queue(name).obliterate({ force: true });
  }
  await jobs?.close();
  await t?.drop();
  if (artifacts) rmSync(artifacts, { recursive: true, force: true });
});

// The baseline and the killed run: same config, so the resumed run must end on the baseline's exact weights.
// Batches of 4 (16 per epoch) keep an epoch long enough for the kill to land inside one on native kernels.
// Mirror TTA on, so the evaluate job below must score as the run did (it once scored without).
const KILL_CONFIG = { epochs: 4, batchSize: 4, ttaEval: true };

describe("training runs on real workers", () => {
  let baselineId = "";

  it("enqueue -> progress -> evaluation rows -> SUCCEEDED (4 epochs, uninterrupted baseline)", async () => {
    const w = startWorker();
    const run = await createRun(t.db, fx.datasetId, KILL_CONFIG);
    baselineId = run.id;
    const { jobId } = await jobs.train({ runId: run.id });
    const seen = new Set<number>();
    const done = await waitFor("baseline run done", async () => {
      const r = await t.db.trainingRun.findUniqueOrThrow({ where: { id: run.id } });
      seen.add(r.currentEpoch);
      return r.status === "SUCCEEDED" || r.status === "FAILED" ? r : null;
    });
    expect(done.error).toBeNull();
    expect(done.status).toBe("SUCCEEDED");
    // CI builds the native kernels and requires them (CONCORD_REQUIRE_NATIVE=1), on OpenBLAS or, without it,
    // the builtin sgemm. Elsewhere WASM's kernels may have run too ("wasm"). toEqual, not toBe: an asymmetric
    // matcher compares by identity under toBe and never matches.
    expect(done.backend).toEqual(
      expect.stringMatching(
        process.env.CONCORD_REQUIRE_NATIVE === "1"
          ? /^wasm\+(openblas|builtin-sgemm)$/
          : /^wasm(\+openblas|\+builtin-sgemm)?$/,
      ),
    );
    expect(done.snapshotId).not.toBeNull();
    expect(done.checkpointSplit).toBe("VALID"); // recorded, not inferred from the evaluations later
    expect(done.trainDataVersion).toBe(TRAIN_DATA_VERSION); // recorded when it first loaded its data
    // The run records the commit it trained with (this checkout's HEAD, "+dirty" with local changes).
    const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    expect(done.codeVersion).toMatch(new RegExp(`^${head}(\\+dirty)?$`));
    expect(seen.size).toBeGreaterThan(2); // progress was visible while it ran
    const epochs = await t.db.epochMetric.findMany({ where: { runId: run.id }, orderBy: { epoch: "asc" } });
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(epochs.every((e) => e.imagesPerSec > 0 && e.valAccuracy !== null)).toBe(true);
    expect(epochs.every((e) => e.valAccuracyWithoutTwins !== null)).toBe(true);
    const evals = await t.db.evaluation.findMany({ where: { runId: run.id }, orderBy: { split: "asc" } });
    expect(evals.map((e) => e.split)).toEqual(["VALID", "TEST"]);
    // Fixture: one face in 16 is unknown-topped and has no majority emotion (VALID and TEST lose 1 each).
    expect(evals.map((e) => e.n)).toEqual([15, 15]);
    // Both figures, side by side: VALID without its 2 train twins, TEST has none.
    expect(evals.map((e) => [e.nWithoutTwins, e.exactTwins, e.exactOrNearTwins])).toEqual([
      [13, 1, 2],
      [15, 0, 0],
    ]);
    expect(evals.every((e) => e.accuracyWithoutTwins !== null && e.macroF1WithoutTwins !== null)).toBe(true);
    expect(evals[1]!.accuracyWithoutTwins).toBeCloseTo(evals[1]!.accuracy, 12);
    expect((evals[0]!.confusion as number[][]).length).toBe(8);
    // Per-class decision biases: fitted on VALID and reported there cross-fitted, applied to TEST as fitted, and
    // saved with the model (what the evaluate job and the exports read).
    type TDecisions = { protocol: string; fittedOn: string; biases: number[]; halvings: number | null };
    const [vd, td] = evals.map((e) => e.decisions as TDecisions | null);
    expect(vd).toMatchObject({ protocol: "cross-fitted", fittedOn: "valid", halvings: 20 });
    expect(td).toMatchObject({ protocol: "held-out", fittedOn: "valid", biases: vd!.biases });
    expect(vd!.biases).toHaveLength(8);
    const saved = JSON.parse(readFileSync(join(done.artifactPath!, "model.json"), "utf8"));
    expect(saved.userDefinedMetadata.decisionBiases.biases).toEqual(vd!.biases);
    expect(existsSync(join(done.artifactPath!, "model.json"))).toBe(true);
    expect(existsSync(join(artifacts, "runs", run.id, "checkpoint"))).toBe(false);
    const job = await jobs.queue("train").getJob(jobId);
    expect(await job?.getState()).toBe("completed");
    expect(job?.returnvalue).toMatchObject({ status: "SUCCEEDED", epochs: 4 });
    expect(w.logs.join("\n")).toMatch(/consuming labels, train, evaluate/);
  });

  it("kill -9 mid-run (epoch 2 or later) -> another worker resumes from the last epoch's checkpoint, same final weights", async () => {
    const victim = workers[0]!;
    const run = await createRun(t.db, fx.datasetId, KILL_CONFIG);
    await jobs.train({ runId: run.id });
    await waitFor("epoch 2 in progress", async () => {
      const r = await t.db.trainingRun.findUniqueOrThrow({ where: { id: run.id } });
      const p = r.progress as { epoch?: number; batch?: number } | null;
      return r.currentEpoch === 1 && p?.epoch === 1 && (p.batch ?? 0) >= 1;
    });
    // The sandboxed child that trains, found before the kill so we can check it does not linger.
    const children = execFileSync("pgrep", ["-P", String(victim.proc.pid)])
      .toString()
      .trim()
      .split("\n")
      .map(Number);
    victim.proc.kill("SIGKILL");
    await victim.exited;
    await waitFor("sandbox child to exit", async () => children.every(isGone), 15_000);
    const killed = await t.db.trainingRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(killed.status).toBe("RUNNING");
    // The kill lands in epoch 2 or, on fast kernels, a later one. The checkpoint is written just before the
    // row's epoch, so it is the row's epoch or the next one.
    const recorded = killed.currentEpoch;
    expect(recorded).toBeGreaterThanOrEqual(1);

    const rescuer = startWorker();
    const done = await waitStatus(run.id, ["SUCCEEDED", "FAILED"], 120_000);
    expect(done.error).toBeNull();
    expect(done.status).toBe("SUCCEEDED");
    expect(rescuer.logs.join("\n")).toMatch(/stalled/);
    const resumedAfter = Number(/resumed from .* after epoch (\d+)/.exec(rescuer.logs.join("\n"))?.[1]);
    expect([recorded, recorded + 1]).toContain(resumedAfter);
    expect(resumedAfter).toBeLessThan(4); // it did resume mid-run, with epochs left to train
    // On the data it started with: the checkpoint's data digest matches.
    expect(rescuer.logs.join("\n")).not.toMatch(/resuming on other training data/);
    expect(done.trainDataVersion).toBe(TRAIN_DATA_VERSION);
    const epochs = await t.db.epochMetric.findMany({ where: { runId: run.id }, orderBy: { epoch: "asc" } });
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    const baseline = await t.db.trainingRun.findUniqueOrThrow({ where: { id: baselineId } });
    const a = readFileSync(join(baseline.artifactPath!, "weights.bin"));
    const b = readFileSync(join(done.artifactPath!, "weights.bin"));
    expect(b.length).toBe(a.length);
    expect(b.equals(a)).toBe(true);
  });

  it("SIGTERM -> the current epoch finishes and is checkpointed, the worker exits 0, the run resumes elsewhere", async () => {
    const current = workers.at(-1)!;
    // Small batches (32 per epoch) so the signal lands inside an epoch with epochs left, on fast kernels too.
    const run = await createRun(t.db, fx.datasetId, { epochs: 3, batchSize: 2 });
    await jobs.train({ runId: run.id });
    await waitFor("epoch 1 in progress", async () => {
      const r = await t.db.trainingRun.findUniqueOrThrow({ where: { id: run.id } });
      return r.status === "RUNNING" && ((r.progress as { batch?: number } | null)?.batch ?? 0) >= 1;
    });
    current.proc.kill("SIGTERM");
    expect(await current.exited).toBe(0);
    const after = await t.db.trainingRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(after.status).toBe("QUEUED");
    const drained = Number(/worker shut down at epoch (\d+)/.exec(after.error ?? "")?.[1]);
    expect(drained).toBeGreaterThanOrEqual(1);
    expect(drained).toBeLessThan(3);
    expect(await t.db.epochMetric.count({ where: { runId: run.id } })).toBe(drained);
    expect(existsSync(join(artifacts, "runs", run.id, "checkpoint"))).toBe(true);
    expect(current.logs.join("\n")).toMatch(/SIGTERM: draining/);

    const next = startWorker();
    const done = await waitStatus(run.id, ["SUCCEEDED", "FAILED"], 120_000);
    expect(done.status).toBe("SUCCEEDED");
    expect(next.logs.join("\n")).toMatch(new RegExp(`resumed from .* after epoch ${drained}\\b`));
  });

  it("cancel mid-run -> CANCELLED within one batch, no orphan job", async () => {
    const run = await createRun(t.db, fx.datasetId, { epochs: 50 });
    const { jobId } = await jobs.train({ runId: run.id });
    await waitFor("training batches", async () => {
      const r = await t.db.trainingRun.findUniqueOrThrow({ where: { id: run.id } });
      return ((r.progress as { batch?: number } | null)?.batch ?? 0) >= 1;
    });
    await t.db.trainingRun.update({ where: { id: run.id }, data: { cancelRequested: true } });
    const t0 = Date.now();
    const res = await jobs.requestCancel(run.id);
    expect(res.published).toBe(true);
    const done = await waitStatus(run.id, ["CANCELLED", "FAILED", "SUCCEEDED"], 20_000);
    const stopMs = Date.now() - t0;
    expect(done.status).toBe("CANCELLED");
    // The trainer checks the signal before every batch: no batch started after the request arrived.
    const p = done.progress as { phase: string; batch: number; stopRequestedAfterBatch: number };
    expect(p.phase).toBe("cancelled");
    expect(p.batch - p.stopRequestedAfterBatch).toBeLessThanOrEqual(1);
    // A batch of 16 takes ~0.3-0.5 s here; the abort is checked before every batch.
    expect(stopMs).toBeLessThan(3000);
    expect(done.currentEpoch).toBeLessThan(50);
    const job = await jobs.queue("train").getJob(jobId);
    await waitFor("job settled", async () => (await job?.getState()) === "completed");
    const counts = (await jobs.counts()).train;
    expect(counts.waiting + counts.active + counts.delayed).toBe(0);
    expect(existsSync(join(artifacts, "runs", run.id, "checkpoint"))).toBe(false);
  });

  it("a bad payload or a missing run fails once (unrecoverable), never retried", async () => {
    const q = jobs.queue("train");
    const bad = await q.add("train", { runId: 42 }, { attempts: 5, jobId: "bad-payload" });
    const ghost = await q.add("train", { runId: "no-such-run" }, { attempts: 5, jobId: "ghost-run" });
    for (const job of [bad, ghost]) {
      await waitFor(`job ${job.id} failed`, async () => (await q.getJob(String(job.id)))?.failedReason);
      const after = await q.getJob(String(job.id));
      expect(await after?.getState()).toBe("failed");
      expect(after?.attemptsMade).toBe(1);
    }
    expect((await q.getJob("bad-payload"))?.failedReason).toMatch(/invalid train payload: runId/);
    expect((await q.getJob("ghost-run"))?.failedReason).toMatch(/does not exist/);
    expect(trainJobId("x")).toBe("train-x");
  });

  it("snapshot-labels and evaluate run as jobs", async () => {
    const snap = await jobs.snapshotLabels({ datasetId: fx.datasetId, method: "mv", params: {} });
    const sJob = await waitFor("snapshot job", async () => {
      const s = await (await jobs.queue("labels").getJob(snap.jobId))?.getState();
      // Re-read once settled: a job object loaded while it was active has no return value yet.
      return s === "completed" || s === "failed" ? jobs.queue("labels").getJob(snap.jobId) : null;
    });
    expect(sJob.failedReason, workers.at(-1)?.logs.slice(-20).join("\n")).toBeUndefined();
    expect(sJob.returnvalue).toMatchObject({ created: true, items: 96 });
    const trained = await t.db.evaluation.findUniqueOrThrow({
      where: { runId_split: { runId: baselineId, split: "TEST" } },
    });
    const ev = await jobs.evaluate({ runId: baselineId, splits: ["TEST"] });
    const eJob = await waitFor("evaluate job", async () => {
      const s = await (await jobs.queue("evaluate").getJob(ev.jobId))?.getState();
      return s === "completed" || s === "failed" ? jobs.queue("evaluate").getJob(ev.jobId) : null;
    });
    expect(eJob.failedReason).toBeUndefined();
    const stored = await t.db.evaluation.findUniqueOrThrow({
      where: { runId_split: { runId: baselineId, split: "TEST" } },
    });
    expect(eJob.returnvalue).toMatchObject({ stored: true, splits: [{ split: "TEST", n: 15 }] });
    expect(eJob.returnvalue.splits[0].accuracy).toBeCloseTo(stored.accuracy, 6);
    // The same model scored the way the run scored itself (mirror TTA): the figures it stored when it trained.
    expect(stored.loss).toBeCloseTo(trained.loss, 5);
    expect(stored.confusion).toEqual(trained.confusion);
    // The re-evaluation applies the biases the run saved with its model (held out from TEST).
    expect(stored.decisions).toMatchObject({ protocol: "held-out", fittedOn: "valid" });
  });
});
