import { parseArgs } from "node:util";
import { DEFAULT_DUPLICATE_POLICY, describeDuplicates } from "@concord/crowd";
import { createDb } from "@concord/db";
import { exportDataset } from "./archive/export";
import { ArchiveError } from "./archive/format";
import { restoreArchive } from "./archive/restore";
import { ImportInputError, importDataset } from "./import";
import { formatLeakSummary, leakReport, listDuplicates } from "./leaks";

const USAGE = `usage:
  concord import <path> [--dataset slug] [--name "Display name"] [--layout auto|ferplus|fer2013|generic] [--strict]
                [--duplicates keep-last|keep-first|error]   repeated worker/task rows in votes.csv (default keep-last)
  concord leaks <dataset-slug> [--list N]      duplicate summary (and the N closest cross-split pairs)
  concord demo [--seed N] [--ferplus path] [--synthetic]   demo users + demo data
  concord export <dataset-slug> --out <dir> [--identified]   the dataset as a self-describing archive
                                (annotators pseudonymous unless --identified adds emails and names)
  concord import-archive <dir> [--dataset slug]   restore an archive (all or nothing; twice adds nothing)
Environment: DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/concord)`;

function slugFrom(path: string): string {
  const base =
    path
      .replace(/[\\/]+$/, "")
      .split(/[\\/]/)
      .pop() ?? "dataset";
  return (
    base
      .toLowerCase()
      .replace(/\.csv$/, "")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "dataset"
  );
}

async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dataset: { type: "string" },
      name: { type: "string" },
      layout: { type: "string", default: "auto" },
      strict: { type: "boolean", default: false },
      duplicates: { type: "string", default: DEFAULT_DUPLICATE_POLICY },
    },
  });
  const path = positionals[0];
  if (!path) throw new ImportInputError("concord import needs a path");
  const layout = values.layout as "auto" | "ferplus" | "fer2013" | "generic";
  const duplicates = values.duplicates;
  if (duplicates !== "keep-last" && duplicates !== "keep-first" && duplicates !== "error") {
    throw new ImportInputError(
      `--duplicates must be keep-last, keep-first or error${duplicates === "keep-all" ? " (keep-all is not possible here: the database holds one vote per annotator per image)" : ""}`,
    );
  }
  const db = createDb();
  try {
    let last = 0;
    const r = await importDataset(db, {
      datasetSlug: values.dataset ?? slugFrom(path),
      name: values.name,
      path,
      layout,
      strict: values.strict,
      duplicates,
      onProgress: (p) => {
        if (p.done - last >= 5000) {
          last = p.done;
          process.stderr.write(`  ${p.done} rows read, ${p.added} added, ${p.rejected} rejected\n`);
        }
      },
    });
    console.log(`dataset ${r.datasetSlug} (layout ${r.layout})`);
    console.log(
      `added ${r.added}, skipped ${r.skipped} (already there), rejected ${r.rejected.length}, unvoted skipped ${r.unvotedSkipped}`,
    );
    for (const x of r.rejected.slice(0, 50))
      console.log(`  rejected ${x.file}${x.line ? `:${x.line}` : ""}: ${x.reason}`);
    if (r.rejected.length > 50) console.log(`  ... and ${r.rejected.length - 50} more`);
    if (r.duplicateVotes && r.duplicateVotes.repeated > 0)
      console.log(`votes.csv: ${describeDuplicates(r.duplicateVotes)}`);
    if (r.aborted) console.log("strict mode: nothing was committed because rows were rejected");
    if (r.duplicates) for (const line of formatLeakSummary(r.duplicates)) console.log(line);
    console.log(
      r.added > 0
        ? `${r.seconds.toFixed(1)} s, ${Math.round(r.imagesPerSec)} images/s`
        : `${r.seconds.toFixed(1)} s, nothing new to import`,
    );
    return r.aborted ? 2 : 0;
  } finally {
    await db.$disconnect();
  }
}

async function runLeaks(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { list: { type: "string" } },
  });
  const slug = positionals[0];
  if (!slug) throw new ImportInputError("concord leaks needs a dataset slug");
  const db = createDb();
  try {
    for (const line of formatLeakSummary(await leakReport(db, slug))) console.log(line);
    const n = Number(values.list ?? 0);
    if (n > 0) {
      for (const p of await listDuplicates(db, slug, { crossSplitOnly: true, take: n })) {
        console.log(
          `  ${p.kind} d=${p.distance} ${p.a.split}/${p.a.externalId} ~ ${p.b.split}/${p.b.externalId}`,
        );
      }
    }
    return 0;
  } finally {
    await db.$disconnect();
  }
}

async function runDemo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      seed: { type: "string", default: "7" },
      ferplus: { type: "string" },
      synthetic: { type: "boolean" },
    },
  });
  const { defaultFerplusPath, seedDemo } = await import("./demo/index");
  const db = createDb();
  try {
    const ferplusPath = values.synthetic ? undefined : (values.ferplus ?? defaultFerplusPath());
    const r = await seedDemo(db, { ferplusPath, seed: Number(values.seed) });
    for (const line of r.summary) console.log(line);
    return 0;
  } finally {
    await db.$disconnect();
  }
}

async function runExport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string" }, identified: { type: "boolean", default: false } },
  });
  const slug = positionals[0];
  if (!slug || !values.out) throw new ArchiveError("concord export needs a dataset slug and --out <dir>");
  const db = createDb();
  try {
    const { manifest, dir } = await exportDataset(db, {
      slug,
      out: values.out,
      identified: values.identified,
    });
    for (const [name, f] of Object.entries(manifest.files))
      console.log(`  ${name.padEnd(30)} ${f.rows} rows`);
    console.log(`archive ${dir}  hash ${manifest.archiveHash}`);
    return 0;
  } finally {
    await db.$disconnect();
  }
}

async function runRestore(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dataset: { type: "string" } },
  });
  const dir = positionals[0];
  if (!dir) throw new ArchiveError("concord import-archive needs the archive folder");
  const db = createDb();
  try {
    const r = await restoreArchive(db, { dir, slug: values.dataset });
    if (r.alreadyRestored)
      console.log(`dataset ${r.datasetSlug}: this archive is already restored, nothing added`);
    else {
      for (const [name, n] of Object.entries(r.added)) console.log(`  ${name.padEnd(30)} ${n} rows`);
      console.log(`dataset ${r.datasetSlug} restored from archive ${r.archiveHash}`);
      if (r.notInArchive.length > 0)
        console.log(
          `a version ${r.version} archive: it has no ${r.notInArchive.join(", ")}, and the dataset's check, guideline, qualification and stopping settings start at their defaults`,
        );
    }
    return 0;
  } finally {
    await db.$disconnect();
  }
}

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === "import") return runImport(rest);
  if (cmd === "leaks") return runLeaks(rest);
  if (cmd === "demo") return runDemo(rest);
  if (cmd === "export") return runExport(rest);
  if (cmd === "import-archive") return runRestore(rest);
  console.log(USAGE);
  return cmd === undefined || cmd === "help" || cmd === "--help" ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Input problems are the user's to fix: one clear line, no stack trace.
    if (
      e instanceof ImportInputError ||
      e instanceof ArchiveError ||
      (e instanceof Error && e.name === "ZodError")
    ) {
      console.error(`concord: ${e.message}`);
      process.exit(1);
    }
    console.error(e);
    process.exit(1);
  },
);
