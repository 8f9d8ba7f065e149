import "server-only";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ImportInputError, importDataset, type TImportReport } from "@concord/importer";
import { z } from "zod";
import { db } from "../db";
import { fieldError } from "../http";

const ZSlug = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "datasetSlug: lowercase letters, digits and dashes (max 63)");

export const ZFolderImport = z.object({
  datasetSlug: ZSlug,
  name: z.string().trim().max(120, "name: at most 120 characters").optional(),
  path: z
    .string()
    .trim()
    .min(1, "path: required")
    .refine((p) => path.isAbsolute(p), "path: must be an absolute path on the server"),
  layout: z.enum(["auto", "ferplus", "fer2013", "generic"], {
    message: "layout: auto, ferplus, fer2013 or generic",
  }),
  strict: z.boolean().default(false),
});
export type TFolderImport = z.infer<typeof ZFolderImport>;

// The importer's refusals (missing folder, layout that does not fit) are 400s on the field that named the
// input: the folder path, or the uploaded images.
async function runImport(opts: TFolderImport, field: "path" | "images"): Promise<TImportReport> {
  try {
    return await importDataset(db(), { ...opts, name: opts.name || undefined });
  } catch (error) {
    if (error instanceof ImportInputError) throw fieldError(field, error.message);
    throw error;
  }
}

export function importFolder(opts: TFolderImport): Promise<TImportReport> {
  return runImport(opts, "path");
}

// Upload limits: the whole request, each file, and the number of files.
export const UPLOAD_LIMITS = {
  totalBytes: 50 * 1024 * 1024,
  fileBytes: 10 * 1024 * 1024,
  files: 5000,
} as const;
const IMAGE_EXT = new Set([".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"]);
const SPLIT_DIR = { TRAIN: "train", VALID: "valid", TEST: "test" } as const;

// Only a plain base name survives: no directories, no dot files, nothing outside the temp folder.
function safeName(name: string): string | null {
  const base = path.basename(name.replaceAll("\\", "/"));
  return /^[\w][\w.+-]{0,120}$/.test(base) ? base : null;
}

// Multipart upload -> a temporary folder in the generic layout (split sub-folder, votes.csv, gold.csv) ->
// the same importer as folder imports -> the folder is removed whatever happens.
export async function importUpload(form: FormData): Promise<TImportReport> {
  const slug = ZSlug.safeParse(String(form.get("datasetSlug") ?? ""));
  if (!slug.success) throw fieldError("datasetSlug", slug.error.issues[0]?.message ?? "invalid");
  const split = String(form.get("split") ?? "TRAIN");
  if (!(split in SPLIT_DIR)) throw fieldError("split", "TRAIN, VALID or TEST");
  const images = form.getAll("images").filter((f): f is File => typeof f !== "string" && f.size > 0);
  const votes = form.get("votes");
  const gold = form.get("gold");
  if (images.length === 0) throw fieldError("images", "choose at least one image file");
  if (images.length > UPLOAD_LIMITS.files) {
    throw fieldError("images", `at most ${UPLOAD_LIMITS.files} files per upload`, 413);
  }
  let total = 0;
  const dir = await mkdtemp(path.join(tmpdir(), "concord-upload-"));
  try {
    const target = path.join(dir, SPLIT_DIR[split as keyof typeof SPLIT_DIR]);
    await mkdir(target);
    for (const f of images) {
      const name = safeName(f.name);
      if (!name || !IMAGE_EXT.has(path.extname(name).toLowerCase())) {
        throw fieldError("images", `"${f.name}" is not an image file name (png, jpg, webp, bmp, gif)`);
      }
      if (f.size > UPLOAD_LIMITS.fileBytes) {
        throw fieldError(
          "images",
          `"${name}" is larger than ${UPLOAD_LIMITS.fileBytes / 1024 / 1024} MiB`,
          413,
        );
      }
      total += f.size;
      if (total > UPLOAD_LIMITS.totalBytes) {
        throw fieldError("images", `upload larger than ${UPLOAD_LIMITS.totalBytes / 1024 / 1024} MiB`, 413);
      }
      await writeFile(path.join(target, name), new Uint8Array(await f.arrayBuffer()));
    }
    for (const [field, file] of [
      ["votes", votes],
      ["gold", gold],
    ] as const) {
      if (!file || typeof file === "string" || file.size === 0) continue;
      if (file.size > UPLOAD_LIMITS.fileBytes) throw fieldError(field, "CSV larger than 10 MiB", 413);
      await writeFile(path.join(dir, `${field}.csv`), new Uint8Array(await file.arrayBuffer()));
    }
    return await runImport(
      {
        datasetSlug: slug.data,
        name: String(form.get("name") ?? "").trim() || undefined,
        path: dir,
        layout: "generic",
        strict: form.get("strict") === "on" || form.get("strict") === "true",
      },
      "images",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
