// Seeds the e2e database: the demo data (`seedDemo` from @concord/importer/demo) when it exists, else a small
// synthetic dataset written directly; then the four contract accounts with a known password.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { FERPLUS_LABELS } from "@concord/crowd";
import type { TDb } from "@concord/db";
import { perceptualHash, sha256Hex } from "@concord/importer";
import { hash } from "@node-rs/argon2";
import { ACCOUNTS, E2E_PASSWORD } from "./accounts";
import { drawFace } from "./faces";

type TSeedDemo = (
  db: TDb,
  options: { ferplusPath?: string; seed?: number },
) => Promise<{ summary: string[] }>;

async function loadSeedDemo(): Promise<TSeedDemo | null> {
  try {
    // A variable specifier: the module may not exist yet in this checkout, and that is a supported state.
    const specifier = "@concord/importer/demo";
    const mod = (await import(specifier)) as { seedDemo?: TSeedDemo };
    return mod.seedDemo ?? null;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return null;
    throw error;
  }
}

async function seedDirect(db: TDb, images: number): Promise<string[]> {
  const dataset = await db.dataset.create({
    data: {
      slug: "e2e-faces",
      name: "E2E synthetic faces",
      description: "Procedural faces written by the e2e harness (no FER+ data needed).",
      source: "SYNTHETIC",
      taxonomy: [...FERPLUS_LABELS],
      goldRate: 0.1,
    },
  });
  const rows = Array.from({ length: images }, (_, i) => {
    const pixels = drawFace(i + 1);
    return {
      datasetId: dataset.id,
      split: i % 10 === 9 ? ("TEST" as const) : i % 10 === 8 ? ("VALID" as const) : ("TRAIN" as const),
      externalId: `face-${String(i).padStart(4, "0")}`,
      sha256: sha256Hex(pixels),
      phash: perceptualHash(pixels),
      pixels,
    };
  });
  await db.image.createMany({ data: rows });
  const gold = await db.image.findMany({
    where: { datasetId: dataset.id },
    orderBy: { externalId: "asc" },
    take: 8,
    select: { id: true },
  });
  await db.goldLabel.createMany({
    data: gold.map((g, i) => ({ imageId: g.id, label: FERPLUS_LABELS[i % 8]! })),
  });
  return [`e2e seed: dataset ${dataset.slug} with ${images} images, ${gold.length} gold`];
}

export async function seedE2E(db: TDb, repoRoot: string): Promise<{ how: string; summary: string[] }> {
  const seedDemo = await loadSeedDemo();
  let how = "direct";
  let summary: string[];
  if (seedDemo) {
    const shared = process.env.CONCORD_SHARED ?? resolve(repoRoot, "../shared");
    const ferplusPath = resolve(shared, "datasets/ferplus");
    summary = (
      await seedDemo(db, { ferplusPath: existsSync(ferplusPath) ? ferplusPath : undefined, seed: 7 })
    ).summary;
    how = "seedDemo";
  } else {
    summary = await seedDirect(db, 120);
  }
  const passwordHash = await hash(E2E_PASSWORD);
  for (const a of Object.values(ACCOUNTS)) {
    await db.user.upsert({
      where: { email: a.email },
      create: { email: a.email, name: a.name, role: a.role, passwordHash },
      update: { role: a.role, passwordHash, pausedAt: null, pausedReason: null },
    });
  }
  return { how, summary };
}
