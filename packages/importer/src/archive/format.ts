// The dataset archive: a folder of NDJSON files (one JSON object a line) and a manifest that names each file
// with its row count, size and sha256, plus one archive hash over the dataset record and every file's hash.
// Self-describing: a reader needs no Concord code (packages/importer/README.md "Export and restore" documents
// every field). The hashes catch truncation and accidental or careless edits; they are not a signature.
import { createHash } from "node:crypto";
import { z } from "zod";

export const ARCHIVE_FORMAT = "concord-dataset-archive";
/**
 * 2: adds exclusions, review actions, qualification rounds and the check, guideline, qualification and stopping
 * settings of the dataset. A restore still reads version 1 (those start empty / at their defaults).
 */
export const ARCHIVE_VERSION = 2;
export const MANIFEST = "manifest.json";

const ZIso = z.iso.datetime({ offset: true });
/**
 * A row's time, read as UTC milliseconds (what an export writes): the restore hands these strings to Postgres
 * as `timestamp`, which drops a written offset (10:00+02:00 would go in as 10:00), and keys rows by them.
 */
const ZTime = ZIso.transform((s) => new Date(s).toISOString());
const ZExt = z.string().min(1).max(512);
const ZRef = z.string().regex(/^u-[0-9a-f]{16}$/, "annotator ref u-<16 hex>");
const ZLabel = z.string().min(1);

const ZArchiveDatasetV1 = z.object({
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
/** The project's configuration: every Dataset column an admin sets (the stopping fit is derived, not here). */
export const ZArchiveDataset = ZArchiveDatasetV1.extend({
  goldMinAnswers: z.number().int(),
  goldWindow: z.number().int(),
  goldConfidence: z.number(),
  guidelines: z.string(),
  guideExamples: z.number().int(),
  qualificationSize: z.number().int(),
  qualificationPassMark: z.number(),
  qualificationAttempts: z.number().int(),
  stoppingPrior: z.enum(["PANEL", "MODEL"]),
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
    createdAt: ZTime,
    /** 8-bit grayscale, row-major, base64. */
    pixels: z.base64(),
  }),
  "tallies.ndjson": z.object({
    image: ZExt,
    source: z.string().min(1),
    counts: z.array(z.number().int().nonnegative()),
    createdAt: ZTime,
  }),
  "votes.ndjson": z.object({
    image: ZExt,
    annotator: ZRef,
    label: z.string().min(1),
    durationMs: z.number().int().nullable(),
    requestId: z.string().nullable(),
    isGold: z.boolean(),
    createdAt: ZTime,
  }),
  "gold.ndjson": z.object({ image: ZExt, label: z.string().min(1), createdAt: ZTime }),
  "duplicates.ndjson": z.object({
    a: ZExt,
    b: ZExt,
    kind: z.enum(["EXACT", "NEAR"]),
    distance: z.number().int(),
    crossSplit: z.boolean(),
  }),
  // Whose votes later snapshots leave out (every dataset: an exclusion is about the person). Named in snapshot
  // statistics by exclusionKey.
  "exclusions.ndjson": z.object({
    annotator: ZRef,
    reason: z.string(),
    createdBy: ZRef.nullable(),
    createdAt: ZTime,
    revokedBy: ZRef.nullable(),
    revokedAt: ZTime.nullable(),
  }),
  // The review queue's decisions per image, revoked ones included (the image's history).
  "image-actions.ndjson": z.object({
    image: ZExt,
    kind: z.enum(["MORE_VOTES", "ACCEPT", "EXCLUDE"]),
    votes: z.number().int().nullable(),
    target: z.number().int().nullable(),
    label: ZLabel.nullable(),
    createdBy: ZRef.nullable(),
    createdAt: ZTime,
    revokedBy: ZRef.nullable(),
    revokedAt: ZTime.nullable(),
  }),
  // Qualification rounds: an attempt is named by its annotator and start time.
  "qualification-attempts.ndjson": z.object({
    annotator: ZRef,
    startedAt: ZTime,
    size: z.number().int().nonnegative(),
    passMark: z.number(),
    answered: z.number().int().nonnegative(),
    correct: z.number().int().nonnegative(),
    passed: z.boolean().nullable(),
    voidedAt: ZTime.nullable(),
    finishedAt: ZTime.nullable(),
  }),
  "qualification-answers.ndjson": z.object({
    annotator: ZRef,
    /** The attempt's startedAt. */
    attempt: ZTime,
    image: ZExt,
    label: ZLabel,
    expected: ZLabel,
    isCorrect: z.boolean(),
    durationMs: z.number().int().nullable(),
    requestId: z.string().nullable(),
    createdAt: ZTime,
  }),
  "snapshots.ndjson": z.object({
    contentHash: z.string().min(1),
    method: z.string().min(1),
    params: z.unknown(),
    /**
     * Per-annotator statistics are keyed by annotator ref, as everywhere in the archive; excludedAnnotators
     * entries name the annotator by ref and the exclusion by exclusionKey.
     */
    stats: z.unknown(),
    createdBy: ZRef.nullable(),
    createdAt: ZTime,
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

/** The files of a version 1 archive, in its order (its archive hash goes over them in this order). */
const V1_FILES = [
  "annotators.ndjson",
  "images.ndjson",
  "tallies.ndjson",
  "votes.ndjson",
  "gold.ndjson",
  "duplicates.ndjson",
  "snapshots.ndjson",
  "soft-labels.ndjson",
] as const satisfies readonly TArchiveFile[];
const FILES_OF = { 1: V1_FILES, 2: ARCHIVE_FILES } as const;
export type TArchiveVersion = keyof typeof FILES_OF;

const ZManifestBase = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  createdAt: ZIso,
  identified: z.boolean(),
  archiveHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export const ZManifest = ZManifestBase.extend({
  version: z.literal(ARCHIVE_VERSION),
  dataset: ZArchiveDataset,
  files: z.record(z.enum(ARCHIVE_FILES as [TArchiveFile, ...TArchiveFile[]]), ZFileEntry),
});
export type TManifest = z.infer<typeof ZManifest>;
const ZManifestV1 = ZManifestBase.extend({
  version: z.literal(1),
  dataset: ZArchiveDatasetV1,
  files: z.record(z.enum(V1_FILES), ZFileEntry),
});
/** A manifest as a restore reads it: this version's, or an older one whose missing files count as empty. */
export type TAnyManifest = TManifest | z.infer<typeof ZManifestV1>;
const MANIFESTS = { 1: ZManifestV1, 2: ZManifest } as const;

/** Which schema a manifest's version asks for, or why it cannot be read. */
export function manifestSchemaOf(raw: unknown) {
  const head = z.object({ format: z.string().optional(), version: z.unknown() }).safeParse(raw);
  if (!head.success || head.data.format !== ARCHIVE_FORMAT) return `format: not a ${ARCHIVE_FORMAT}`;
  const v = head.data.version;
  if (typeof v === "number" && v > ARCHIVE_VERSION)
    return `version: archive version ${v} is newer than this Concord reads (1 to ${ARCHIVE_VERSION}): upgrade Concord`;
  if (v !== 1 && v !== 2) return `version: unsupported archive version ${JSON.stringify(v)}`;
  return MANIFESTS[v];
}

/** The dataset record and every file's hash, in a fixed order: equal content gives an equal hash. */
export function archiveHashOf(m: Pick<TAnyManifest, "version" | "dataset" | "files">): string {
  const files: Partial<Record<TArchiveFile, TFileEntry>> = m.files;
  const h = createHash("sha256").update(JSON.stringify(m.dataset));
  for (const name of FILES_OF[m.version]) h.update(`\n${name}:${files[name]?.sha256 ?? "missing"}`);
  return h.digest("hex");
}

// Rows that other rows name without an id of their own: an exclusion (in snapshot statistics) and a
// qualification attempt (in its answers) are their annotator's at a time.
export const timedKey = (annotator: string, at: string) => `${annotator}/${at}`;

export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

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
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareText(a, b));
  return Object.fromEntries(entries.map(([k, v]) => [k, canonicalJson(v)]));
}

export class ArchiveError extends Error {}
