import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { DEFAULT_DUPLICATE_POLICY, type TDuplicateReport } from "@concord/crowd";
import type { TDb } from "@concord/db";
import { z } from "zod";
import { locateFer2013, readFer2013 } from "./layouts/fer2013";
import { isFerplusFolder, readFerplus } from "./layouts/ferplus";
import { readGeneric } from "./layouts/generic";
import type { TEvent, TLayout, TReadContext, TRejection, TRow } from "./layouts/types";
import { detectDuplicates, leakReportById, type TLeakSummary } from "./leaks";
import { perceptualHash } from "./phash";
import { sha256Hex } from "./pixels";
import { FERPLUS_LABELS } from "./taxonomy";
import { ensureImportedAnnotators, writeBatch } from "./write";

export const ZImportOptions = z.object({
  datasetSlug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes"),
  name: z.string().min(1).optional(),
  path: z.string().min(1),
  layout: z.enum(["auto", "ferplus", "fer2013", "generic"]).default("auto"),
  strict: z.boolean().default(false),
  batchSize: z.number().int().min(1).max(20_000).default(2_000),
  // votes.csv rows repeating a worker/task pair (generic layout), as `concord-crowd --duplicates`; keep-all is not
  // offered: the database holds one vote per annotator per image.
  duplicates: z.enum(["keep-last", "keep-first", "error"]).default(DEFAULT_DUPLICATE_POLICY),
});
export type TImportOptions = z.input<typeof ZImportOptions> & {
  onProgress?: (p: { done: number; added: number; rejected: number }) => void;
};

export type TImportReport = {
  datasetId: string | null;
  datasetSlug: string;
  layout: TLayout;
  added: number;
  skipped: number;
  rejected: TRejection[];
  unvotedSkipped: number;
  // Set when strict mode refused to commit anything because of the rejected rows.
  aborted: boolean;
  // Repeated worker/task rows in votes.csv and what the policy did with them (generic layout with votes.csv).
  duplicateVotes: TDuplicateReport | null;
  duplicates: TLeakSummary | null;
  seconds: number;
  imagesPerSec: number;
};

export class ImportInputError extends Error {}

/** ferplus when the split folders are there, fer2013 for the Kaggle CSV, else a generic image folder. */
export function detectLayout(path: string): TLayout {
  if (isFerplusFolder(path)) return "ferplus";
  if (locateFer2013(path)) return "fer2013";
  return "generic";
}

const SOURCE = { ferplus: "FERPLUS", fer2013: "FER2013", generic: "GENERIC" } as const;

function readLayout(layout: TLayout, path: string, ctx: TReadContext): AsyncGenerator<TEvent> {
  if (layout === "ferplus") return readFerplus(path, ctx);
  if (layout === "fer2013") {
    const files = locateFer2013(path);
    if (!files) throw new ImportInputError(`missing file: no fer2013.csv at ${path}`);
    return readFer2013(files, ctx);
  }
  if (!statSync(path).isDirectory()) throw new ImportInputError(`generic layout needs a folder: ${path}`);
  return readGeneric(path, ctx);
}

/**
 * Imports a dataset folder/file into `datasetSlug` (created on first import). Good rows are committed in batches,
 * each face with its tallies/votes/gold in one transaction; rejected rows are listed with file and line. In strict
 * mode everything is read and checked first and nothing is written if anything was rejected. Then the leak guard
 * runs over the whole dataset.
 */
export async function importDataset(db: TDb, options: TImportOptions): Promise<TImportReport> {
  const opts = ZImportOptions.parse(options);
  const t0 = performance.now();
  const path = resolve(opts.path);
  if (!existsSync(path)) throw new ImportInputError(`missing file: ${path} does not exist`);
  const layout = opts.layout === "auto" ? detectLayout(path) : opts.layout;

  let dataset = await db.dataset.findUnique({ where: { slug: opts.datasetSlug } });
  const taxonomy = dataset?.taxonomy ?? [...FERPLUS_LABELS];
  if (layout !== "generic" && taxonomy.join() !== FERPLUS_LABELS.join()) {
    throw new ImportInputError(
      `dataset "${opts.datasetSlug}" does not use the FER+ taxonomy needed by ${layout}`,
    );
  }
  const known = new Set<string>();
  if (dataset) {
    const rows = await db.image.findMany({ where: { datasetId: dataset.id }, select: { externalId: true } });
    for (const r of rows) known.add(r.externalId);
  }
  const workers = new Set<string>();
  const repeats: NonNullable<TReadContext["repeats"]> = { policy: opts.duplicates, report: null };
  const ctx: TReadContext = { taxonomy, isKnown: (id) => known.has(id), workers, repeats };
  const source = readLayout(layout, path, ctx);

  const report: TImportReport = {
    datasetId: dataset?.id ?? null,
    datasetSlug: opts.datasetSlug,
    layout,
    added: 0,
    skipped: 0,
    rejected: [],
    unvotedSkipped: 0,
    aborted: false,
    duplicateVotes: null,
    duplicates: null,
    seconds: 0,
    imagesPerSec: 0,
  };
  let done = 0;
  const ensureDataset = async () => {
    dataset ??= await db.dataset.upsert({
      where: { slug: opts.datasetSlug },
      update: {},
      create: { slug: opts.datasetSlug, name: opts.name ?? basename(path), source: SOURCE[layout], taxonomy },
    });
    report.datasetId = dataset.id;
    return dataset;
  };
  // One transaction per batch; strict mode passes all rows as one list so it commits all or nothing.
  const flush = async (rows: TRow[]) => {
    const ds = await ensureDataset();
    const added = await db.$transaction(
      async (tx) => {
        if (workers.size > 0) await ensureImportedAnnotators(tx, ds.slug, workers);
        let n = 0;
        for (let k = 0; k < rows.length; k += opts.batchSize) {
          n += (await writeBatch(tx, ds.id, ds.slug, rows.slice(k, k + opts.batchSize))).length;
        }
        return n;
      },
      { timeout: 600_000, maxWait: 10_000 },
    );
    report.added += added;
    report.skipped += rows.length - added;
  };

  let batch: TRow[] = [];
  const held: TRow[] = [];
  // Pipelining: decoding (this process) overlaps with the previous batch's INSERTs (the Postgres process), one
  // batch in flight at a time. Decoding is synchronous, so the loop yields to the event loop now and then to let
  // the database round trips progress.
  let inFlight: Promise<void> | null = null;
  let failure: unknown = null;
  const settle = async () => {
    if (inFlight) await inFlight;
    inFlight = null;
    if (failure) throw failure;
  };
  for await (const ev of source) {
    done++;
    if (ev.kind === "reject") report.rejected.push(ev.reject);
    else if (ev.kind === "unvoted") report.unvotedSkipped++;
    else if (ev.kind === "known") report.skipped++;
    else {
      const row = ev.row;
      row.sha256 = sha256Hex(row.pixels);
      row.phash = perceptualHash(row.pixels);
      if (opts.strict) held.push(row);
      else {
        batch.push(row);
        if (batch.length >= opts.batchSize) {
          await settle();
          inFlight = flush(batch).catch((e: unknown) => {
            failure = e;
          });
          batch = [];
        }
      }
    }
    if (done % 64 === 0) await new Promise((r) => setImmediate(r));
    if (done % 1000 === 0)
      options.onProgress?.({ done, added: report.added, rejected: report.rejected.length });
  }
  await settle();
  report.duplicateVotes = repeats.report;
  if (opts.strict && report.rejected.length > 0) {
    report.aborted = true;
  } else {
    const rest = opts.strict ? held : batch;
    if (rest.length > 0) await flush(rest);
  }
  options.onProgress?.({ done, added: report.added, rejected: report.rejected.length });

  if (dataset && !report.aborted) {
    // Nothing new: the stored pairs are still complete, so re-imports (every `npm start`) only read them.
    report.duplicates =
      report.added > 0 ? await detectDuplicates(db, dataset.id) : await leakReportById(db, dataset.id);
  }
  // A re-import that changed nothing and found nothing wrong is not worth a history row.
  if (dataset && !report.aborted && (report.added > 0 || report.rejected.length > 0)) {
    await db.importBatch.create({
      data: {
        datasetId: dataset.id,
        layout,
        origin: path,
        strict: opts.strict,
        added: report.added,
        skipped: report.skipped,
        rejected: report.rejected.slice(0, 1000),
        stats: {
          unvotedSkipped: report.unvotedSkipped,
          rejectedTotal: report.rejected.length,
          duplicates: report.duplicates,
          duplicateVotes: report.duplicateVotes,
        },
      },
    });
  }
  report.seconds = (performance.now() - t0) / 1000;
  report.imagesPerSec = report.added / report.seconds;
  return report;
}
