// Datasets and annotators of their own for the check-answer tests (test/checks.test.ts): faces copied from the
// seeded synthetic dataset's gold faces (drawn with their true label) and its plain faces, so that pausing and
// qualification never touch the shared accounts or datasets other files use.
import { randomBytes } from "node:crypto";
import { FERPLUS_LABELS } from "@concord/crowd";
import type { TDb } from "@concord/db";
import { hash } from "@node-rs/argon2";
import { E2E_PASSWORD } from "./accounts";

export type TChecksDataset = {
  id: string;
  slug: string;
  gold: { id: string; label: string }[];
  plain: string[];
};

export async function makeChecksDataset(
  db: TDb,
  opts: { name: string; gold: number; plain: number; settings?: Record<string, unknown> },
): Promise<TChecksDataset> {
  const source = await db.goldLabel.findMany({
    where: { image: { dataset: { slug: "synthetic" } } },
    include: { image: true },
    orderBy: { imageId: "asc" },
    take: opts.gold,
  });
  if (source.length < opts.gold)
    throw new Error(`the seed has ${source.length} gold faces, ${opts.gold} needed`);
  const plainSource = await db.image.findMany({
    where: { dataset: { slug: "synthetic" }, gold: null },
    orderBy: { id: "asc" },
    take: opts.plain,
  });
  const slug = `e2e-checks-${randomBytes(3).toString("hex")}`;
  const ds = await db.dataset.create({
    data: {
      slug,
      name: opts.name,
      description: "Faces copied from the synthetic dataset for the check-answer tests.",
      source: "SYNTHETIC",
      taxonomy: [...FERPLUS_LABELS],
      ...opts.settings,
    },
  });
  const copy = (im: (typeof plainSource)[number], i: number, prefix: string) => ({
    datasetId: ds.id,
    split: "TRAIN" as const,
    externalId: `${prefix}-${String(i).padStart(3, "0")}`,
    sha256: im.sha256,
    phash: im.phash,
    pixels: im.pixels,
  });
  await db.image.createMany({
    data: [
      ...source.map((g, i) => copy(g.image, i, "gold")),
      ...plainSource.map((im, i) => copy(im, i, "plain")),
    ],
  });
  const images = await db.image.findMany({ where: { datasetId: ds.id }, orderBy: { externalId: "asc" } });
  const goldImages = images.filter((im) => im.externalId.startsWith("gold-"));
  await db.goldLabel.createMany({
    data: goldImages.map((im, i) => ({ imageId: im.id, label: source[i]!.label })),
  });
  return {
    id: ds.id,
    slug,
    gold: goldImages.map((im, i) => ({ id: im.id, label: source[i]!.label })),
    plain: images.filter((im) => im.externalId.startsWith("plain-")).map((im) => im.id),
  };
}

export async function makeAnnotator(db: TDb, name: string): Promise<{ id: string; email: string }> {
  const email = `${name.toLowerCase().replaceAll(" ", "-")}-${randomBytes(3).toString("hex")}@e2e.local`;
  const user = await db.user.create({
    data: { email, name, role: "ANNOTATOR", passwordHash: await hash(E2E_PASSWORD) },
  });
  return { id: user.id, email };
}

// The /label key of a FER+ label (1-8, U, N) and a key for some other label.
export function keyOf(label: string): string {
  if (label === "unknown") return "u";
  if (label === "not-a-face") return "n";
  return String(FERPLUS_LABELS.indexOf(label as (typeof FERPLUS_LABELS)[number]) + 1);
}
export const wrongKeyFor = (label: string) => (label === "neutral" ? keyOf("happiness") : keyOf("neutral"));
