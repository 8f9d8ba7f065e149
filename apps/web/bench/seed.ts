// Bench data: one dataset of synthetic 48x48 faces (no gold, so nobody gets paused by chance) and N
// annotator accounts sharing one argon2id hash (hashing 200 passwords would only time the seeding).
import { createHash, randomBytes } from "node:crypto";
import { FERPLUS_LABELS } from "@concord/crowd";
import type { TDb } from "@concord/db";
import { hash } from "@node-rs/argon2";

export const BENCH_PASSWORD = "bench-password-0123";
export const FERPLUS = FERPLUS_LABELS;

export type TSeeded = { datasetId: string; imageIds: string[]; annotators: { id: string; email: string }[] };

export async function seedBench(db: TDb, options: { images: number; annotators: number }): Promise<TSeeded> {
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
  await db.$executeRawUnsafe(`VACUUM ANALYZE "Image", "ImageTally", "User", "Vote", "TaskLease"`);
  const annotators = await db.user.findMany({
    where: { email: { startsWith: "bench" } },
    orderBy: { email: "asc" },
    select: { id: true, email: true },
  });
  const images = await db.image.findMany({
    where: { datasetId: dataset.id },
    orderBy: { externalId: "asc" },
    select: { id: true },
  });
  return { datasetId: dataset.id, imageIds: images.map((i) => i.id), annotators };
}
