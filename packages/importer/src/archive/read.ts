// Reading an archive for a restore: the manifest (its version, shape and archive hash) and each file against
// its manifest entry (size, rows, sha256) and row schema. Nothing here writes.
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  ARCHIVE_FILES,
  ARCHIVE_ROWS,
  ArchiveError,
  archiveHashOf,
  MANIFEST,
  manifestSchemaOf,
  type TAnyManifest,
  type TArchiveFile,
  type TArchiveRow,
  type TFileEntry,
} from "./format";

export type TRows = { [F in TArchiveFile]: TArchiveRow<F>[] };

export async function readManifest(dir: string): Promise<TAnyManifest> {
  const path = join(dir, MANIFEST);
  if (!existsSync(path))
    throw new ArchiveError(`${dir}: no ${MANIFEST} (not an archive, or an export that did not finish)`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch {
    throw new ArchiveError(`${MANIFEST}: not valid JSON`);
  }
  const schema = manifestSchemaOf(raw);
  if (typeof schema === "string") throw new ArchiveError(`${MANIFEST}: ${schema}`);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ArchiveError(`${MANIFEST}: ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  const m = parsed.data;
  if (archiveHashOf(m) !== m.archiveHash)
    throw new ArchiveError(`${MANIFEST}: the archive hash does not match its content (edited manifest)`);
  return m;
}

/** Every file of the archive, read and checked; a file an older version did not have is empty. */
export async function readAllRows(dir: string, m: TAnyManifest): Promise<TRows> {
  const files: Partial<Record<TArchiveFile, TFileEntry>> = m.files;
  const rows = {} as Record<TArchiveFile, unknown[]>;
  for (const name of ARCHIVE_FILES) {
    const entry = files[name];
    rows[name] = entry ? await readRows(dir, name, entry) : [];
  }
  return rows as TRows;
}

/** Reads and checks one file against its manifest entry and row schema. */
async function readRows<F extends TArchiveFile>(
  dir: string,
  name: F,
  entry: TFileEntry,
): Promise<TArchiveRow<F>[]> {
  const path = join(dir, name);
  if (!existsSync(path)) throw new ArchiveError(`${name}: missing`);
  const hash = createHash("sha256");
  const schema = ARCHIVE_ROWS[name];
  const rows: TArchiveRow<F>[] = [];
  let bytes = 0;
  let line = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const text of lines) {
    line++;
    hash.update(`${text}\n`);
    bytes += Buffer.byteLength(text) + 1;
    if (bytes > entry.bytes) break;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ArchiveError(`${name}:${line}: not valid JSON (truncated or edited file)`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new ArchiveError(`${name}:${line}: ${i.path.join(".") || "(row)"}: ${i.message}`);
    }
    rows.push(parsed.data as TArchiveRow<F>);
  }
  if (bytes !== entry.bytes || rows.length !== entry.rows)
    throw new ArchiveError(
      `${name}: ${rows.length} rows / ${bytes} bytes, the manifest says ${entry.rows} / ${entry.bytes} (truncated or edited file)`,
    );
  if (hash.digest("hex") !== entry.sha256)
    throw new ArchiveError(`${name}: sha256 differs from the manifest (edited file)`);
  return rows;
}
