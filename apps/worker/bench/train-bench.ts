// Throughput of the worker's training path (Postgres load -> trainer -> EpochMetric), on a fresh test
// database with synthetic 48x48 faces. Usage:
//   nice -n 10 npx tsx bench/train-bench.ts [images=512] [epochs=2] [model=fast] [threads=1]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@concord/db/testing";
import { loadEnv } from "../src/env";
import { trainRun } from "../src/jobs/train";
import { createFixture } from "../test/fixtures";
import { createRun } from "../test/harness";

const [images = "512", epochs = "2", model = "fast", threads = "1"] = process.argv.slice(2);
const t = await createTestDatabase("concord_worker_bench");
const artifacts = mkdtempSync(join(tmpdir(), "concord-bench-"));
try {
  const fx = await createFixture(t.db, { TRAIN: Number(images), VALID: 64, TEST: 0 });
  const run = await createRun(t.db, fx.datasetId, {
    epochs: Number(epochs),
    model,
    batchSize: 64,
    augment: true,
  });
  const env = loadEnv({
    ...process.env,
    DATABASE_URL: t.url,
    CONCORD_ARTIFACTS_DIR: artifacts,
    CONCORD_TRAINER_THREADS: threads,
    CONCORD_QUEUE_PREFIX: "concord-bench",
  });
  const t0 = Date.now();
  await trainRun(
    t.db,
    env,
    { runId: run.id },
    { id: "bench", attemptsMade: 0, attempts: 1, updateProgress: () => {} },
  );
  const done = await t.db.trainingRun.findUniqueOrThrow({ where: { id: run.id }, include: { epochs: true } });
  for (const e of done.epochs.sort((a, b) => a.epoch - b.epoch)) {
    console.log(
      `epoch ${e.epoch}: ${e.imagesPerSec.toFixed(1)} img/s train (${model}, batch 64, ${threads} thread(s), backend ${done.backend}), ${(e.durationMs / 1000).toFixed(1)} s`,
    );
  }
  console.log(
    `run ${done.status} in ${((Date.now() - t0) / 1000).toFixed(1)} s wall (load + train + eval + save)`,
  );
} finally {
  await t.drop();
  rmSync(artifacts, { recursive: true, force: true });
}
process.exit(0);
