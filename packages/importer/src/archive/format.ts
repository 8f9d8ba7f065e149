// The dataset archive: a folder of NDJSON files (one JSON object a line) and a manifest that names each file
// with its row count, size and sha256, plus one archive hash over the dataset record and every file's hash.
// Self-describing: a reader needs no Concord code (README "Export and restore" documents every field).
// The hashes catch truncation and accidental or careless edits; they are not a signature.
import { createHash } from "node:crypto";
import { z } from "zod";

export const ARCHIVE_FORMAT = "concord-dataset-archive";
export const ARCHIVE_VERSION = 1;
export const MANIFEST = "manifest.json";

const ZIso = z.iso.datetime({ offset: true });
const ZExt = z.string().min(1).max(512);
const ZRef = z.string().regex(/^u-[0-9a-f]{16}$/, "annotator ref u-<16 hex>");

export const ZArchiveDataset = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  name: z.string(),
  description: z.string(),
  source: z.enum(["FERPLUS", "FER2013", "GENERIC", "SYNTHETIC"]),
  taxonomy: z.array(z.string().min(1)).min(2),
  targetConfidence: z.number(),
  minVotes: z.number().int(),
  maxVotes: z.number().int(),
  goldRate: z.number(),
  goldMinAccuracy: z.number(),
  doneSignatures: z.array(z.string()),
  createdAt: ZIso,
});
export type TArchiveDataset = z.infer<typeof ZArchiveDataset>;

/** One schema per file, in the order a restore writes them (rows of later files point at earlier ones). */
export const ARCHIVE_ROWS = {
  "annotators.ndjson": z.object({
    ref: ZRef,
    role: z.enum(["ANNOTATOR", "RESEARCHER", "ADMIN"]),
    // Only in an archive made with --identified; otherwise annotators are their pseudonymous ref alone.
    email: z.email().optional(),
    name: z.string().optional(),
  }),
  "images.ndjson": z.object({
    ext: ZExt,
    split: z.enum(["TRAIN", "VALID", "TEST"]),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    phash: z.string().regex(/^[0-9a-f]{16}$/),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    conversion: z.string().nullable(),
    createdAt: ZIso,
    /** 8-bit grayscale, row-major, base64. */
    pixels: z.base64(),
  }),
  "tallies.ndjson": z.object({
    image: ZExt,
    source: z.string().min(1),
    counts: z.array(z.number().int().nonnegative()),
    createdAt: ZIso,
  }),
  "votes.ndjson": z.object({
    image: ZExt,
    annotator: ZRef,
    label: z.string().min(1),
    durationMs: z.number().int().nullable(),
    requestId: z.string().nullable(),
    isGold: z.boolean(),
    createdAt: ZIso,
  }),
  "gold.ndjson": z.object({ image: ZExt, label: z.string().min(1), createdAt: ZIso }),
  "duplicates.ndjson": z.object({
    a: ZExt,
    b: ZExt,
    kind: z.enum(["EXACT", "NEAR"]),
    distance: z.number().int(),
    crossSplit: z.boolean(),
  }),
  "snapshots.ndjson": z.object({
    contentHash: z.string().min(1),
    method: z.string().min(1),
    params: z.unknown(),
    /** Per-annotator statistics are keyed by annotator ref, as everywhere in the archive. */
    stats: z.unknown(),
    createdBy: ZRef.nullable(),
    createdAt: ZIso,
  }),
  "soft-labels.ndjson": z.object({
    snapshot: z.string().min(1),
    image: ZExt,
    probs: z.array(z.number()),
    label: z.string().nullable(),
    votes: z.number().int().nonnegative(),
  }),
} as const;
export type TArchiveFile = keyof typeof ARCHIVE_ROWS;
export type TArchiveRow<F extends TArchiveFile> = z.infer<(typeof ARCHIVE_ROWS)[F]>;
export const ARCHIVE_FILES = Object.keys(ARCHIVE_ROWS) as TArchiveFile[];

const ZFileEntry = z.object({
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type TFileEntry = z.infer<typeof ZFileEntry>;

export const ZManifest = z.object({
  format: z.literal(ARCHIVE_FORMAT, { message: `not a ${ARCHIVE_FORMAT}` }),
  version: z.literal(ARCHIVE_VERSION, {
    message: `unsupported archive version (this Concord reads ${ARCHIVE_VERSION})`,
  }),
  createdAt: ZIso,
  identified: z.boolean(),
  dataset: ZArchiveDataset,
  files: z.record(z.enum(ARCHIVE_FILES as [TArchiveFile, ...TArchiveFile[]]), ZFileEntry),
  archiveHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type TManifest = z.infer<typeof ZManifest>;

/** The dataset record and every file's hash, in a fixed order: equal content gives an equal hash. */
export function archiveHashOf(dataset: TArchiveDataset, files: Partial<Record<TArchiveFile, TFileEntry>>) {
  const h = createHash("sha256").update(JSON.stringify(dataset));
  for (const name of ARCHIVE_FILES) h.update(`\n${name}:${files[name]?.sha256 ?? "missing"}`);
  return h.digest("hex");
}

/**
 * The pseudonym of a user in archives: a hash of the user's id (which says nothing about the person), or the
 * ref a restore gave the account, so that an export of a restored dataset names the same annotators.
 */
export function annotatorRef(user: { id: string; email: string }): string {
  const restored = /^(u-[0-9a-f]{16})@[a-z0-9-]+\.archive$/.exec(user.email);
  if (restored) return restored[1]!;
  return `u-${createHash("sha256").update(user.id).digest("hex").slice(0, 16)}`;
}

export const restoredEmail = (ref: string, slug: string) => `${ref}@${slug}.archive`;

/** JSON with object keys sorted at every depth: Postgres' jsonb keeps its own key order, an archive must not. */
export function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return Object.fromEntries(entries.map(([k, v]) => [k, canonicalJson(v)]));
}

export class ArchiveError extends Error {}
