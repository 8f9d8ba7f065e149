import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TDb } from "@concord/db";
import { importDataset, type TImportReport } from "../import";
import { formatLeakSummary } from "../leaks";
import { generateSyntheticDataset, writeSyntheticFolder } from "./synthetic";
import { ensureDemoUsers, type TDemoUser } from "./users";

export { confusionMatrix, simulatedAnnotators, type TSimAnnotator } from "./crowd-sim";
export { DEMO_EMOTIONS, drawFace, drawNonFace } from "./faces";
export { createRng } from "./rng";
export { generateSyntheticDataset, type TSyntheticDataset, writeSyntheticFolder } from "./synthetic";
export { DEMO_USERS, ensureDemoUsers, type TDemoUser } from "./users";

export const FERPLUS_SLUG = "ferplus";
export const SYNTHETIC_SLUG = "synthetic";

/** CONCORD_FERPLUS, else <CONCORD_SHARED or repo/../shared>/datasets/ferplus, when it exists. */
export function defaultFerplusPath(): string | undefined {
  const repo = resolve(fileURLToPath(new URL("../../../..", import.meta.url)));
  const p =
    process.env.CONCORD_FERPLUS ??
    join(process.env.CONCORD_SHARED ?? join(repo, "../shared"), "datasets/ferplus");
  return existsSync(p) ? p : undefined;
}

export type TSeedDemoResult = {
  users: TDemoUser[];
  datasets: { slug: string; status: "imported" | "unchanged"; report?: TImportReport }[];
  summary: string[];
};

async function hasImages(db: TDb, slug: string): Promise<boolean> {
  return (await db.image.count({ where: { dataset: { slug } }, take: 1 })) > 0;
}

/**
 * Demo users, then demo data: the FER+ folder when there is one, and the synthetic crowd dataset. The synthetic
 * set is made in both cases because FER+ publishes counts without worker ids, while the annotator-model screens
 * (Dawid-Skene, GLAD, MACE, per-annotator stats, gold) and the annotation queue need attributed votes.
 * Re-running keeps users and data ("unchanged").
 */
export async function seedDemo(
  db: TDb,
  opts: { ferplusPath?: string; seed: number },
): Promise<TSeedDemoResult> {
  const users = await ensureDemoUsers(db);
  const summary: string[] = [];
  for (const u of users) {
    summary.push(
      u.password ? `user ${u.email} (${u.role}) password: ${u.password}` : `user ${u.email} unchanged`,
    );
  }
  const datasets: TSeedDemoResult["datasets"] = [];

  if (opts.ferplusPath && existsSync(opts.ferplusPath)) {
    // Always run the (idempotent) import: a start interrupted mid-import resumes here; when complete it only
    // reads label.csv and skips every face (~2 s).
    const report = await importDataset(db, {
      datasetSlug: FERPLUS_SLUG,
      name: "FER+ (FER2013 faces, 10 crowd votes each)",
      path: opts.ferplusPath,
      layout: "ferplus",
    });
    if (report.added === 0 && report.rejected.length === 0) {
      datasets.push({ slug: FERPLUS_SLUG, status: "unchanged", report });
      summary.push(`dataset ${FERPLUS_SLUG} unchanged (${report.skipped} faces)`);
    } else {
      datasets.push({ slug: FERPLUS_SLUG, status: "imported", report });
      summary.push(
        `dataset ${FERPLUS_SLUG}: ${report.added} faces imported in ${report.seconds.toFixed(1)} s (${Math.round(report.imagesPerSec)} images/s), ${report.skipped} already there, ${report.rejected.length} rejected`,
      );
      if (report.duplicates) summary.push(...formatLeakSummary(report.duplicates));
    }
  }

  if (await hasImages(db, SYNTHETIC_SLUG)) {
    datasets.push({ slug: SYNTHETIC_SLUG, status: "unchanged" });
    summary.push(`dataset ${SYNTHETIC_SLUG} unchanged`);
  } else {
    const seed = opts.seed ?? 7;
    const data = generateSyntheticDataset({ seed });
    const dir = mkdtempSync(join(tmpdir(), "concord-synthetic-"));
    try {
      writeSyntheticFolder(dir, data);
      const report = await importDataset(db, {
        datasetSlug: SYNTHETIC_SLUG,
        name: `Synthetic faces (seed ${seed})`,
        path: dir,
        layout: "generic",
      });
      const who = data.annotators.map((a) => `${a.id} ${(a.confusion[0]![0]! * 100).toFixed(0)}%`).join(", ");
      await db.dataset.update({
        where: { slug: SYNTHETIC_SLUG },
        data: {
          source: "SYNTHETIC",
          description: `Drawn 48x48 faces (8 expressions + not-a-face), votes from simulated annotators with known confusion matrices (accuracy: ${who}); seed ${seed}.`,
        },
      });
      datasets.push({ slug: SYNTHETIC_SLUG, status: "imported", report });
      summary.push(
        `dataset ${SYNTHETIC_SLUG}: ${report.added} faces, ${data.faces.reduce((s, f) => s + f.votes.length, 0)} votes from ${data.annotators.length} simulated annotators`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { users, datasets, summary };
}
