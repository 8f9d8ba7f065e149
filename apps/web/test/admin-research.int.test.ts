// Integration: the admin and research server modules (datasets, agreement, runs, exports, upload import)
// against a fresh migrated Postgres and the real Redis (unique prefix), and a Redis port where nothing
// listens for the "queue down" path.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { createJobsClient, type TJobsClient, ZRunConfig } from "@concord/jobs";
import {
  CHECKPOINT_SELECTION,
  CHECKPOINT_SELECTION_HOLDOUT,
  DEFERRED_SELECTION,
} from "@concord/jobs/run-config";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDatabase;
const ids: Record<string, string> = {};
const g = globalThis as unknown as { concordDb?: unknown; concordJobs?: TJobsClient };

const pixels = (v: number) => new Uint8Array(48 * 48).fill(v);

beforeAll(async () => {
  t = await createTestDatabase("concord_web_queries");
  g.concordDb = t.db; // getDb() (through the web's db()) returns this client
  const db = t.db;
  const ds = await db.dataset.create({
    data: { slug: "tiny", name: "Tiny", source: "SYNTHETIC", taxonomy: ["a", "b", "c"], minVotes: 3 },
  });
  ids.ds = ds.id;
  const img = async (externalId: string, split: "TRAIN" | "VALID" | "TEST", v: number) =>
    (
      await db.image.create({
        data: {
          datasetId: ds.id,
          split,
          externalId,
          sha256: String(v).padStart(64, "0"),
          phash: "0".repeat(16),
          pixels: pixels(v),
        },
      })
    ).id;
  ids.i0 = await img("i0", "TRAIN", 10);
  ids.i1 = await img("i1", "TRAIN", 20);
  ids.i2 = await img("i2", "VALID", 30);
  ids.i3 = await img("i3", "TEST", 40);
  const user = async (name: string) =>
    (await db.user.create({ data: { email: `${name}@t.local`, name, passwordHash: "x", role: "ANNOTATOR" } }))
      .id;
  ids.u1 = await user("u1");
  ids.u2 = await user("u2");
  ids.u3 = await user("u3");
  ids.admin = (
    await db.user.create({
      data: { email: "admin@t.local", name: "admin", passwordHash: "x", role: "ADMIN" },
    })
  ).id;
  const vote = (imageId: string, annotatorId: string, label: string, durationMs: number) =>
    db.vote.create({ data: { imageId, annotatorId, label, durationMs } });
  // counts: i0 [3,0,0], i1 [1,2,0], i2 [0,0,2] + tally [0,0,1] -> [0,0,3]; i3 unvoted
  await vote(ids.i0, ids.u1, "a", 1000);
  await vote(ids.i0, ids.u2, "a", 1500);
  await vote(ids.i0, ids.u3, "a", 900);
  await vote(ids.i1, ids.u1, "a", 2000);
  await vote(ids.i1, ids.u2, "b", 1500);
  await vote(ids.i1, ids.u3, "b", 1100);
  await vote(ids.i2, ids.u1, "c", 3000);
  await vote(ids.i2, ids.u2, "c", 1500);
  await db.importedTally.create({ data: { imageId: ids.i2, source: "ext", counts: [0, 0, 1] } });
  await db.goldLabel.create({ data: { imageId: ids.i1, label: "b" } });
  await db.duplicatePair.create({
    data: {
      datasetId: ds.id,
      imageAId: ids.i0,
      imageBId: ids.i2,
      kind: "EXACT",
      distance: 0,
      crossSplit: true,
    },
  });
});

afterAll(async () => {
  await g.concordJobs?.close();
  await t?.drop();
});

describe("datasets", () => {
  it("counts images, votes, tallies and coverage per split", async () => {
    const { listDatasets } = await import("../src/server/datasets/datasets");
    const [d] = await listDatasets();
    expect(d?.k).toBe(3);
    expect(d?.splits).toEqual([
      { split: "TRAIN", images: 2, covered: 2, votes: 6, tallyVotes: 0, talliedImages: 0, gold: 1 },
      { split: "VALID", images: 1, covered: 1, votes: 2, tallyVotes: 1, talliedImages: 1, gold: 0 },
      { split: "TEST", images: 1, covered: 0, votes: 0, tallyVotes: 0, talliedImages: 0, gold: 0 },
    ]);
    expect(d?.crossSplitDuplicates).toBe(1);
    const [k4] = await listDatasets(4);
    expect(k4?.totals.covered).toBe(0);
    const { getDatasetSummary } = await import("../src/server/datasets/datasets");
    expect((await getDatasetSummary("tiny"))?.splits).toEqual(d?.splits);
    expect((await getDatasetSummary(ids.ds!))?.id).toBe(ids.ds);
    expect(await getDatasetSummary("nope")).toBeNull();
  });

  it("reports the leak guard with thumbnails and valid faces twinned in train", async () => {
    const { leakReport } = await import("../src/server/datasets/datasets");
    const r = await leakReport(ids.ds!);
    expect(r).toMatchObject({
      exactCross: 1,
      nearCross: 0,
      evalWithTrainTwin: { VALID: 1, TEST: 0 },
      shown: 1,
    });
    expect(r.pairs[0]?.a.thumb).toMatch(/^data:image\/bmp;base64,/);
  });

  it("histograms identified votes per image", async () => {
    const { votesPerImageHistogram } = await import("../src/server/datasets/datasets");
    // i0 and i1 have 3 votes, i2 has 2 (its tally is not an identified vote), i3 none.
    expect(await votesPerImageHistogram(ids.ds!)).toEqual([
      { votes: "0", images: 1 },
      { votes: "2", images: 1 },
      { votes: "3", images: 2 },
    ]);
  });
});

describe("users", () => {
  it("lists votes and gold answers per user", async () => {
    const { listUsers } = await import("../src/server/users/users");
    const by = new Map((await listUsers()).map((u) => [u.name, u]));
    // i1 is gold "b": u1 voted a, u2 and u3 voted b.
    expect(by.get("u1")).toMatchObject({ votes: 3, goldAnswered: 1, goldCorrect: 0 });
    expect(by.get("u2")).toMatchObject({ votes: 3, goldAnswered: 1, goldCorrect: 1 });
    expect(by.get("u3")).toMatchObject({ votes: 2, goldAnswered: 1, goldCorrect: 1 });
    expect(by.get("admin")).toMatchObject({ votes: 0, goldAnswered: 0, goldCorrect: 0 });
  });
});

describe("agreement", () => {
  it("matches hand-computed Fleiss' kappa, Krippendorff's alpha and annotator stats", async () => {
    const { getAgreement } = await import("../src/server/agreement/agreement");
    const a = await getAgreement(ids.ds!, "ALL");
    // P̄ = (1 + 1/3 + 1)/3 = 7/9; p = (4/9, 2/9, 3/9); Pe = 29/81; kappa = 34/52.
    expect(a?.fleissKappa).toBeCloseTo(34 / 52, 10);
    // Do = 2/9, De = 52/72 -> alpha = 36/52.
    expect(a?.krippendorffAlpha).toBeCloseTo(36 / 52, 10);
    expect(a).toMatchObject({ items: 4, itemsWithTwoVotes: 3, identifiedVotes: 8, tallyVotes: 1 });
    const by = new Map(a?.annotators.map((r) => [r.name, r]));
    // u1: i0 agrees, i1 disagrees (others b,b), i2 agrees (others c + tally c).
    expect(by.get("u1")).toMatchObject({
      votes: 3,
      agreement: 2 / 3,
      goldAnswered: 1,
      goldAccuracy: 0,
      medianMs: 2000,
    });
    // u3: i0 agrees; i1 others {a, b} tie -> 1/2.
    expect(by.get("u3")?.agreement).toBeCloseTo(0.75);
    expect(by.get("u2")?.goldAccuracy).toBe(1);
  });

  it("restricts to one split and caches until the votes change", async () => {
    const { getAgreement } = await import("../src/server/agreement/agreement");
    const v = await getAgreement(ids.ds!, "VALID");
    expect(v).toMatchObject({ items: 1, identifiedVotes: 2, tallyVotes: 1, fleissKappa: null });
    const first = await getAgreement(ids.ds!, "TRAIN");
    expect(await getAgreement(ids.ds!, "TRAIN")).toBe(first);
    await t.db.vote.create({ data: { imageId: ids.i0!, annotatorId: ids.admin!, label: "b" } });
    const after = await getAgreement(ids.ds!, "TRAIN");
    expect(after).not.toBe(first);
    expect(after?.identifiedVotes).toBe(7);
    await t.db.vote.deleteMany({ where: { annotatorId: ids.admin! } });
  });
});

const config = ZRunConfig.parse({
  name: "t",
  datasetId: "pending",
  scheme: "probability",
  eps: 0,
  epochs: 2,
  patience: 0,
  batchSize: 8,
  seed: 1,
  // The stored runs below selected without mirror TTA (the default turns it on) and without the deferred
  // class-balanced loss (on by default too): the plain selection words.
  ttaEval: false,
  classWeighting: false,
});

describe("runs", () => {
  it("refuses with QueueUnavailableError within 3 s when Redis is down and leaves no run behind", async () => {
    // A port that was free a moment ago: nothing answers there (no fixed port another suite might use).
    const port = await new Promise<number>((ok) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => ok(p));
      });
    });
    g.concordJobs = createJobsClient({ redisUrl: `redis://127.0.0.1:${port}`, prefix: "never" });
    const { launchRun } = await import("../src/server/runs/runs");
    const t0 = performance.now();
    await expect(launchRun({ ...config, datasetId: ids.ds! }, ids.admin!)).rejects.toMatchObject({
      name: "QueueUnavailableError",
    });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(await t.db.trainingRun.count()).toBe(0);
    await g.concordJobs.close();
  });

  it("launches (QUEUED + job), cancels a waiting run, and retries with the same config", async () => {
    const prefix = `webtest-${randomBytes(4).toString("hex")}`;
    g.concordJobs = createJobsClient({ prefix });
    const { launchRun, requestCancel, retryRun, getRunDetail } = await import("../src/server/runs/runs");
    try {
      const r = await launchRun({ ...config, datasetId: ids.ds! }, ids.admin!);
      expect(r.jobId).toBe(`train-${r.id}`);
      const job = await g.concordJobs.queue("train").getJob(r.jobId);
      expect(job?.data).toEqual({ runId: r.id });
      expect((await getRunDetail(r.id))?.status).toBe("QUEUED");

      const c = await requestCancel(r.id);
      expect(c).toMatchObject({ status: "CANCELLED", cancelRequested: true, broadcast: true });
      expect(await g.concordJobs.queue("train").getJob(r.jobId)).toBeUndefined();
      await expect(requestCancel(r.id)).rejects.toMatchObject({ status: 409 });

      const again = await retryRun(r.id, ids.admin!);
      const detail = await getRunDetail(again.id);
      expect(detail?.name).toBe("t (retry)");
      expect(detail?.config).toMatchObject({ model: "fast-wide", epochs: 2, batchSize: 8 });
    } finally {
      for (const q of ["train", "train-gpu"] as const)
        await g.concordJobs.queue(q).obliterate({ force: true });
    }
  });

  it("refuses a snapshot from another dataset", async () => {
    const { launchRun } = await import("../src/server/runs/runs");
    await expect(
      launchRun({ ...config, datasetId: ids.ds!, snapshotId: "nope" }, ids.admin!),
    ).rejects.toMatchObject({ status: 400, details: { field: "snapshotId" } });
  });

  it("shows every split whole and without its train twins, n with each, and what chose the checkpoint", async () => {
    const { getRunDetail, listRuns } = await import("../src/server/runs/runs");
    const { EvaluationTable } = await import("../src/components/tables/evaluation-table");
    const evaluation = (split: "VALID" | "TEST", n: number, accuracy: number) => ({
      split,
      labels: ["a", "b", "c"],
      n,
      accuracy,
      macroF1: accuracy - 0.1,
      loss: 0.9,
      ece: 0.05,
      confusion: [],
      perClass: [],
      calibration: [],
    });
    const run = await t.db.trainingRun.create({
      data: {
        datasetId: ids.ds!,
        name: "twins",
        seed: 1,
        status: "SUCCEEDED",
        config: { ...config, datasetId: ids.ds! },
        epochs: {
          create: [
            { epoch: 1, trainLoss: 1, trainAccuracy: 0.5, valAccuracy: 0.6, valAccuracyWithoutTwins: 0.55 },
          ].map((e) => ({ ...e, learningRate: 0.001, imagesPerSec: 10, durationMs: 100 })),
        },
        evaluations: {
          create: [
            // VALID: 3,191 faces, 539 with a train twin (279 exact) left out.
            {
              ...evaluation("VALID", 3191, 0.8411),
              nWithoutTwins: 2652,
              accuracyWithoutTwins: 0.8212,
              macroF1WithoutTwins: 0.6012,
              exactTwins: 279,
              exactOrNearTwins: 539,
            },
            // TEST: evaluated before twins were.
            evaluation("TEST", 3137, 0.8302),
          ],
        },
      },
    });
    const detail = (await getRunDetail(run.id))!;
    const valid = detail.evaluations.find((e) => e.split === "VALID")!;
    expect(valid.withoutTrainTwins).toEqual({
      n: 2652,
      accuracy: 0.8212,
      macroF1: 0.6012,
      exactTwins: 279,
      exactOrNearTwins: 539,
    });
    expect(detail.evaluations.find((e) => e.split === "TEST")!.withoutTrainTwins).toBeNull();
    expect(detail.epochs[0]).toMatchObject({ valAccuracy: 0.6, valAccuracyWithoutTwins: 0.55 });
    expect(detail.checkpointSelectedOn).toBe(CHECKPOINT_SELECTION);
    expect(detail.twinRule).toMatch(/exact \(same pixels\) or near \(perceptual hash within 6 bits\)/);
    const listed = (await listRuns()).find((r) => r.id === run.id)!;
    expect(listed).toMatchObject({
      validAccuracy: 0.8411,
      validN: 3191,
      validAccuracyWithoutTwins: 0.8212,
      validNWithoutTwins: 2652,
      validMacroF1WithoutTwins: 0.6012,
      testAccuracyWithoutTwins: null,
    });

    // The run's evaluation table as the dashboard renders it, and the texts of the cells with a test id.
    const tableOf = (d: NonNullable<Awaited<ReturnType<typeof getRunDetail>>>) => {
      const markup = renderToStaticMarkup(
        createElement(EvaluationTable, {
          evaluations: d.evaluations,
          checkpointSelectedOn: d.checkpointSelectedOn,
          checkpointSplit: d.checkpointSplit,
          twinRule: d.twinRule,
        }),
      );
      const texts = (testId: string) =>
        [...markup.matchAll(new RegExp(`data-testid="${testId}"[^>]*>([^<]*)<`, "g"))].map((m) => m[1]);
      return { markup, texts };
    };
    const { markup: html, texts: cells } = tableOf(detail);
    expect(cells("n-whole")).toEqual(["3,137", "3,191"]);
    expect(cells("n-without-twins")).toEqual(["2,652"]);
    expect(cells("accuracy-without-twins")).toEqual(["82.1%"]);
    expect(html).toContain("279 / 539");
    expect(html).toContain("not computed (stored before twin figures existed");
    expect(html).toContain(`chose the checkpoint: ${CHECKPOINT_SELECTION}`);
    // No decision biases stored (a run from before them): no such columns.
    expect(html).not.toContain("With per-class decision biases");

    // A run whose model has decision biases: cross-fitted figures on VALID (mean ± SD), held out on TEST.
    const decisions = (protocol: "cross-fitted" | "held-out", accuracy: number, macroF1: number) => ({
      protocol,
      fittedOn: "valid",
      n: 3191,
      digest: "d",
      halvings: protocol === "cross-fitted" ? 20 : null,
      accuracy,
      accuracySd: protocol === "cross-fitted" ? 0.0029 : null,
      macroF1,
      macroF1Sd: protocol === "cross-fitted" ? 0.017 : null,
      perClassF1: [0.9, 0.8, 0.3],
      biases: [0, 0.5, 2.25],
      withoutTrainTwins: { n: 2716, accuracy: 0.8611, macroF1: 0.69 },
    });
    const biased = await t.db.trainingRun.create({
      data: {
        datasetId: ids.ds!,
        seed: 2,
        status: "SUCCEEDED",
        config: { ...config, datasetId: ids.ds! },
        evaluations: {
          create: [
            { ...evaluation("VALID", 3191, 0.8684), decisions: decisions("cross-fitted", 0.8637, 0.704) },
            { ...evaluation("TEST", 3137, 0.85), decisions: decisions("held-out", 0.845, 0.69) },
          ],
        },
      },
    });
    const bd = (await getRunDetail(biased.id))!;
    expect(bd.evaluations.find((e) => e.split === "VALID")!.decisions).toMatchObject({
      protocol: "cross-fitted",
      accuracy: 0.8637,
      macroF1Sd: 0.017,
    });
    const { markup: biasedHtml, texts: biasedCells } = tableOf(bd);
    // TEST first (the order of the table), then VALID with its spread over the halvings.
    expect(biasedCells("accuracy-decided")).toEqual(["84.5%", "86.4% ± 0.29"]);
    expect(biasedCells("macro-f1-decided")).toEqual(["69.0%", "70.4% ± 1.70"]);
    expect(biasedHtml).toContain("never the in-sample figure");
    expect(biasedHtml).toContain("a 0, b 0.5, c 2.25");
    expect((await listRuns()).find((r) => r.id === biased.id)).toMatchObject({ validMacroF1Decided: 0.704 });
    expect((await listRuns()).find((r) => r.id === run.id)).toMatchObject({ validMacroF1Decided: null });

    // A finished run without Valid faces selected on a hold-out of its train faces, and says so.
    const holdout = await t.db.trainingRun.create({
      data: {
        datasetId: ids.ds!,
        seed: 1,
        status: "SUCCEEDED",
        config: { ...config, datasetId: ids.ds! },
        evaluations: { create: [evaluation("TEST", 10, 0.5)] },
      },
    });
    expect((await getRunDetail(holdout.id))!.checkpointSelectedOn).toBe(CHECKPOINT_SELECTION_HOLDOUT);
    // The default recipe's deferral is stored as auto (0) and shown as the epoch it resolves to (the last
    // quarter of this run's 2 epochs is epoch 2); a deferred run keeps its last epoch.
    const deferred = await t.db.trainingRun.create({
      data: {
        datasetId: ids.ds!,
        seed: 1,
        status: "SUCCEEDED",
        config: { ...config, classWeighting: true, rebalanceFrom: 0, datasetId: ids.ds! },
        evaluations: { create: [evaluation("VALID", 10, 0.6)] },
      },
    });
    expect((await getRunDetail(deferred.id))!.checkpointSelectedOn).toBe(
      `${DEFERRED_SELECTION} (rebalanced from epoch 2 on)`,
    );
    // The worker records the hold-out when the run succeeds; an evaluate job that scores VALID afterwards
    // does not make Valid the selector after the fact (the inference alone would have said so).
    const recorded = await t.db.trainingRun.create({
      data: {
        datasetId: ids.ds!,
        seed: 1,
        status: "SUCCEEDED",
        checkpointSplit: "HOLDOUT",
        config: { ...config, datasetId: ids.ds! },
        evaluations: { create: [evaluation("TEST", 10, 0.5), evaluation("VALID", 10, 0.6)] },
      },
    });
    const later = (await getRunDetail(recorded.id))!;
    expect(later.checkpointSplit).toBe("HOLDOUT");
    expect(later.checkpointSelectedOn).toBe(CHECKPOINT_SELECTION_HOLDOUT);
    const laterHtml = renderToStaticMarkup(
      createElement(EvaluationTable, {
        evaluations: later.evaluations,
        checkpointSelectedOn: later.checkpointSelectedOn,
        checkpointSplit: later.checkpointSplit,
        twinRule: later.twinRule,
      }),
    );
    expect(laterHtml).not.toContain(`title="chose the checkpoint`); // no starred Valid figure
    await t.db.trainingRun.deleteMany({ where: { id: { in: [run.id, holdout.id, recorded.id] } } });
  });
});

describe("exports", () => {
  it("exports identified votes and imported tallies as CSV", async () => {
    const { exportVotes } = await import("../src/server/datasets/votes-export");
    const res = await exportVotes(ids.ds!, "csv");
    const lines = (await res.text()).trim().split("\r\n");
    expect(lines[0]).toBe("image,split,source,annotator,label,count,durationMs,createdAt");
    expect(lines).toHaveLength(1 + 8 + 1);
    expect(lines.at(-1)).toBe("i2,VALID,tally:ext,,c,1,,");
    expect(res.headers.get("content-disposition")).toContain("tiny-votes.csv");
  });
});

describe("upload import", () => {
  it("imports uploaded images with votes into the chosen split, through the importer", async () => {
    const { encodePng48 } = await import("@concord/importer");
    const { importUpload } = await import("../src/server/datasets/import");
    const form = new FormData();
    form.set("datasetSlug", "uploaded");
    form.set("split", "VALID");
    for (const v of [60, 120]) {
      const px = new Uint8Array(48 * 48).map((_, i) => (i * v) % 251);
      form.append("images", new File([new Uint8Array(encodePng48(px))], `up${v}.png`, { type: "image/png" }));
    }
    form.set("votes", new File(["task,worker,label\nup60,w1,happiness\nup120,w1,bogus\n"], "votes.csv"));
    const report = await importUpload(form);
    expect(report).toMatchObject({ added: 2, aborted: false });
    expect(report.rejected).toEqual([expect.objectContaining({ file: "votes.csv", line: 3 })]);
    const ds = await t.db.dataset.findUniqueOrThrow({
      where: { slug: "uploaded" },
      include: { images: true },
    });
    expect(ds.images.map((i) => i.split)).toEqual(["VALID", "VALID"]);
    expect(await t.db.vote.count({ where: { image: { datasetId: ds.id } } })).toBe(1);
  });

  it("refuses unsafe names and empty uploads with 400 and writes nothing", async () => {
    const { importUpload } = await import("../src/server/datasets/import");
    const before = await t.db.image.count();
    const bad = new FormData();
    bad.set("datasetSlug", "uploaded");
    bad.append("images", new File([new Uint8Array([1, 2, 3])], "../../etc/passwd", { type: "image/png" }));
    await expect(importUpload(bad)).rejects.toMatchObject({ status: 400, details: { field: "images" } });
    const empty = new FormData();
    empty.set("datasetSlug", "uploaded");
    await expect(importUpload(empty)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("images"),
    });
    const slug = new FormData();
    slug.set("datasetSlug", "Bad Slug!");
    await expect(importUpload(slug)).rejects.toMatchObject({
      status: 400,
      details: { field: "datasetSlug" },
    });
    expect(await t.db.image.count()).toBe(before);
  });
});

describe("annotator confusion", () => {
  it("counts votes against the latest snapshot's consensus, or uses stored Dawid-Skene matrices", async () => {
    const { getAnnotatorConfusions } = await import("../src/server/agreement/agreement");
    // No snapshot yet: against the plurality of the other votes. u3: i0 a vs {a,a}; i1 b vs {a,b} tie -> skipped.
    const loo = await getAnnotatorConfusions(ids.ds!, "ALL", [ids.u3!]);
    expect(loo.kind).toBe("loo");
    expect(loo.matrices[ids.u3!]).toEqual([
      [1, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    const mv = await t.db.labelSnapshot.create({
      data: { datasetId: ids.ds!, method: "mv", params: {}, contentHash: "h-mv", stats: {} },
    });
    const consensus: [string, string][] = [
      [ids.i0!, "a"],
      [ids.i1!, "b"],
      [ids.i2!, "c"],
    ];
    await t.db.softLabel.createMany({
      data: consensus.map(([imageId, label]) => ({
        snapshotId: mv.id,
        imageId,
        label,
        probs: ["a", "b", "c"].map((l) => (l === label ? 1 : 0)),
      })),
    });
    const counts = await getAnnotatorConfusions(ids.ds!, "ALL", [ids.u1!]);
    expect(counts.kind).toBe("counts");
    // u1: i0 a|a, i1 consensus b voted a, i2 c|c.
    expect(counts.matrices[ids.u1!]).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    // The same on the train split only: i2 (valid) drops out.
    expect((await getAnnotatorConfusions(ids.ds!, "TRAIN", [ids.u1!])).matrices[ids.u1!]).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
    const { getSnapshotDetail } = await import("../src/server/snapshots/snapshots");
    const detail = await getSnapshotDetail(mv.id);
    const bySplitLabel = <T extends { split: string; label: string }>(rows: T[] = []) =>
      [...rows].sort((x, y) => `${x.split}${x.label}`.localeCompare(`${y.split}${y.label}`));
    expect(bySplitLabel(detail?.distribution)).toEqual([
      { split: "TRAIN", label: "a", count: 1 },
      { split: "TRAIN", label: "b", count: 1 },
      { split: "VALID", label: "c", count: 1 },
    ]);
    // Mean one-hot soft label per split: train = (a + b) / 2, valid = c.
    expect(bySplitLabel(detail?.softMass)).toEqual([
      { split: "TRAIN", label: "a", mass: 0.5 },
      { split: "TRAIN", label: "b", mass: 0.5 },
      { split: "TRAIN", label: "c", mass: 0 },
      { split: "VALID", label: "a", mass: 0 },
      { split: "VALID", label: "b", mass: 0 },
      { split: "VALID", label: "c", mass: 1 },
    ]);
    const dsMatrix = [
      [0.9, 0.05, 0.05],
      [0.5, 0.5, 0],
      [0, 0, 1],
    ];
    await t.db.labelSnapshot.create({
      data: {
        datasetId: ids.ds!,
        method: "ds",
        params: {},
        contentHash: "h-ds",
        stats: { workerConfusion: { [ids.u1!]: dsMatrix, [ids.u2!]: [[1]] } },
      },
    });
    const ds = await getAnnotatorConfusions(ids.ds!, "ALL", [ids.u1!, ids.u2!]);
    expect(ds.kind).toBe("ds");
    expect(ds.snapshot?.method).toBe("ds");
    expect(ds.matrices).toEqual({ [ids.u1!]: dsMatrix }); // the malformed one is dropped
  });
});
