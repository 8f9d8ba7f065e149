// Bench data: one dataset of synthetic 48x48 faces (no gold, so nobody gets paused by chance) and N
// annotator accounts sharing one argon2id hash (hashing 200 passwords would only time the seeding).
import { createHash, randomBytes } from "node:crypto";
import { FERPLUS_LABELS } from "@concord/crowd";
import type { TDb } from "@concord/db";
import { hash } from "@node-rs/argon2";

export const BENCH_PASSWORD = "bench-password-0123";
export const FERPLUS = FERPLUS_LABELS;

export type TSeeded = { datasetId: string; imageIds: string[]; annotators: { id: string; email: string }[] };

// --stopping model: the dataset uses the model prior. 500 extra faces carry complete imported 10-vote panels (what
// the prior is fitted on; imported tallies are not web votes, so they stay open like the others), one finished
// run and one SUCCEEDED out-of-sample prediction set covers every face (a random confident distribution).
async function seedModelStopping(db: TDb, datasetId: string) {
  const C = FERPLUS.length;
  const panels = 500;
  const rows = Array.from({ length: panels }, (_, i) => {
    const pixels = new Uint8Array(randomBytes(48 * 48));
    return {
      datasetId,
      split: "TRAIN" as const,
      externalId: `bench-panel-${String(i).padStart(4, "0")}`,
      sha256: createHash("sha256").update(pixels).digest("hex"),
      phash: randomBytes(8).toString("hex"),
      pixels,
    };
  });
  await db.image.createMany({ data: rows });
  const images = await db.image.findMany({ where: { datasetId }, select: { id: true, externalId: true } });
  const classOf = (i: number) => i % 8;
  await db.importedTally.createMany({
    data: images
      .filter((im) => im.externalId.startsWith("bench-panel-"))
      .map((im, i) => {
        const counts = new Array<number>(C).fill(0);
        counts[classOf(i)] = 7 + (i % 3);
        counts[(classOf(i) + 1 + (i % 5)) % 8]! += 10 - counts[classOf(i)]!;
        return { imageId: im.id, source: "bench", counts };
      }),
  });
  const run = await db.trainingRun.create({ data: { datasetId, config: {}, seed: 1, status: "SUCCEEDED" } });
  const set = await db.predictionSet.create({
    data: {
      datasetId,
      runId: run.id,
      status: "SUCCEEDED",
      scheme: "cross-fit",
      folds: 2,
      finishedAt: new Date(),
    },
  });
  for (let k = 0; k < images.length; k += 5000) {
    await db.prediction.createMany({
      data: images.slice(k, k + 5000).map((im, i) => {
        const probs = new Array<number>(C).fill(0);
        const top = (k + i) % 8;
        for (let c = 0; c < 8; c++) probs[c] = c === top ? 0.8 : 0.2 / 7;
        return { setId: set.id, imageId: im.id, probs, outOfSample: true };
      }),
    });
  }
  await db.dataset.update({ where: { id: datasetId }, data: { stoppingPrior: "MODEL" } });
}

// The tables the labelling loop writes. VACUUM ANALYZE them as autovacuum keeps a running database: fresh
// statistics (a connection's cached generic plans are made again from them) and dead rows gone.
export async function vacuumHotTables(db: TDb): Promise<void> {
  await db.$executeRawUnsafe(`VACUUM ANALYZE "Image", "ImageTally", "User", "Vote", "TaskLease"`);
}

// The seed leaves tens of MB of dirty pages in shared buffers (17,700 faces: ~5,500 of them written in the first
// step's window), which the backends then write out while the first step is measured; the kernel's writeback of
// them slowed the WAL's flushes (seconds of 85-145 ms in a 500-person step, 2026-12-01). A server that has run
// for a while has had its checkpoint: this is that checkpoint, before anything is measured. Needs superuser or
// pg_checkpoint; without it the ramp goes on and says so.
export async function checkpointSeed(db: TDb): Promise<string | undefined> {
  try {
    await db.$executeRawUnsafe("CHECKPOINT");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

// Postgres servers for CI (this machine's among them) often run with autovacuum off. Then nothing refreshes the
// statistics taken at seeding, when "Vote" and "TaskLease" were empty: the plans each web connection caches
// for its statements (PL/pgSQL functions included) keep sequential scans of those tables as they grow, and
// the cost per vote climbs with the votes of the run (measured: 4.1 ms of Postgres CPU per face after 6,000
// faces, 1.5 ms with statistics). The ramp then does autovacuum's work itself before each step.
export async function isAutovacuumOn(db: TDb): Promise<boolean> {
  const [row] = await db.$queryRawUnsafe<{ on: boolean }[]>(
    `SELECT current_setting('autovacuum') = 'on' AS on`,
  );
  return row?.on ?? false;
}

export async function seedBench(
  db: TDb,
  options: { images: number; annotators: number; stopping?: "panel" | "model" },
): Promise<TSeeded> {
  const dataset = await db.dataset.create({
    data: {
      slug: "bench-faces",
      name: "Bench faces",
      source: "SYNTHETIC",
      taxonomy: [...FERPLUS],
      goldRate: 0,
      minVotes: 2,
      maxVotes: 10,
    },
    select: { id: true },
  });
  const chunk = 2000;
  for (let start = 0; start < options.images; start += chunk) {
    const rows = [];
    for (let i = start; i < Math.min(options.images, start + chunk); i++) {
      const pixels = new Uint8Array(randomBytes(48 * 48));
      rows.push({
        datasetId: dataset.id,
        split: "TRAIN" as const,
        externalId: `bench-${String(i).padStart(6, "0")}`,
        sha256: createHash("sha256").update(pixels).digest("hex"),
        phash: randomBytes(8).toString("hex"),
        pixels,
      });
    }
    await db.image.createMany({ data: rows });
  }
  if (options.stopping === "model") await seedModelStopping(db, dataset.id);
  const passwordHash = await hash(BENCH_PASSWORD);
  const users = Array.from({ length: options.annotators }, (_, i) => ({
    email: `bench${String(i).padStart(3, "0")}@concord.local`,
    name: `Bench annotator ${i}`,
    role: "ANNOTATOR" as const,
    passwordHash,
  }));
  await db.user.createMany({ data: users });
  // Statistics and the visibility map now, as a running database has them: without statistics the next-task
  // pick sorts every open image instead of reading the open-images index from its start, and autovacuum would
  // otherwise vacuum the freshly inserted faces (hundreds of MB) in the middle of the measurement.
  await vacuumHotTables(db);
  const annotators = await db.user.findMany({
    where: { email: { startsWith: "bench" } },
    orderBy: { email: "asc" },
    select: { id: true, email: true },
  });
  const images = await db.image.findMany({
    where: { datasetId: dataset.id, externalId: { not: { startsWith: "bench-panel-" } } },
    orderBy: { externalId: "asc" },
    select: { id: true },
  });
  return { datasetId: dataset.id, imageIds: images.map((i) => i.id), annotators };
}
