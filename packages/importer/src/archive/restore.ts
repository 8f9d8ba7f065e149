// `concord import-archive dir`: restores an archive (format.ts) into this database, all or nothing.
// Everything is checked before the first write: the manifest, every file's size, rows and sha256, the archive
// hash, every row's shape and every reference between files. Then one transaction writes it all and checks
// that every row went in; anything less rolls back. Restoring the same archive again adds nothing.
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { TDb } from "@concord/db";
import { type TTx, UNUSABLE_PASSWORD_HASH } from "../write";
import {
  ARCHIVE_FILES,
  ARCHIVE_ROWS,
  ArchiveError,
  archiveHashOf,
  MANIFEST,
  restoredEmail,
  type TArchiveFile,
  type TArchiveRow,
  type TManifest,
  ZManifest,
} from "./format";
import { mapStatsKeys } from "./stats-keys";

export type TRestoreOptions = { dir: string; slug?: string };
export type TRestoreReport = {
  datasetSlug: string;
  alreadyRestored: boolean;
  added: Record<TArchiveFile, number>;
  archiveHash: string;
};
type TRows = { [F in TArchiveFile]: TArchiveRow<F>[] };

const ORIGIN = (hash: string) => `archive:${hash}`;

export async function readManifest(dir: string): Promise<TManifest> {
  const path = join(dir, MANIFEST);
  if (!existsSync(path))
    throw new ArchiveError(`${dir}: no ${MANIFEST} (not an archive, or an export that did not finish)`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch {
    throw new ArchiveError(`${MANIFEST}: not valid JSON`);
  }
  const parsed = ZManifest.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ArchiveError(`${MANIFEST}: ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  const m = parsed.data;
  if (archiveHashOf(m.dataset, m.files) !== m.archiveHash)
    throw new ArchiveError(`${MANIFEST}: the archive hash does not match its content (edited manifest)`);
  return m;
}

/** Reads and checks one file against its manifest entry and row schema. */
async function readRows<F extends TArchiveFile>(
  dir: string,
  name: F,
  m: TManifest,
): Promise<TArchiveRow<F>[]> {
  const path = join(dir, name);
  if (!existsSync(path)) throw new ArchiveError(`${name}: missing`);
  const entry = m.files[name];
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

/** Every reference between files resolves, labels are in the taxonomy, keys are unique. */
function checkReferences(m: TManifest, r: TRows): void {
  const fail = (msg: string) => {
    throw new ArchiveError(msg);
  };
  const unique = <T>(name: string, rows: T[], key: (x: T) => string) => {
    const seen = new Set<string>();
    for (const x of rows) {
      const k = key(x);
      if (seen.has(k)) fail(`${name}: "${k}" appears twice`);
      seen.add(k);
    }
    return seen;
  };
  const images = unique("images.ndjson", r["images.ndjson"], (x) => x.ext);
  const refs = unique("annotators.ndjson", r["annotators.ndjson"], (x) => x.ref);
  const snaps = unique("snapshots.ndjson", r["snapshots.ndjson"], (x) => x.contentHash);
  const labels = new Set(m.dataset.taxonomy);
  const C = m.dataset.taxonomy.length;
  for (const im of r["images.ndjson"])
    if (Buffer.from(im.pixels, "base64").length !== im.width * im.height)
      fail(`images.ndjson: ${im.ext} has pixels for another size than ${im.width}x${im.height}`);
  unique("votes.ndjson", r["votes.ndjson"], (v) => `${v.image} ${v.annotator}`);
  for (const v of r["votes.ndjson"]) {
    if (!images.has(v.image)) fail(`votes.ndjson: image "${v.image}" is not in images.ndjson`);
    if (!refs.has(v.annotator)) fail(`votes.ndjson: annotator "${v.annotator}" is not in annotators.ndjson`);
    if (!labels.has(v.label)) fail(`votes.ndjson: label "${v.label}" is not in the taxonomy`);
  }
  for (const t of r["tallies.ndjson"]) {
    if (!images.has(t.image)) fail(`tallies.ndjson: image "${t.image}" is not in images.ndjson`);
    if (t.counts.length !== C)
      fail(`tallies.ndjson: ${t.image} has ${t.counts.length} counts for ${C} labels`);
  }
  unique("gold.ndjson", r["gold.ndjson"], (g) => g.image);
  for (const g of r["gold.ndjson"]) {
    if (!images.has(g.image)) fail(`gold.ndjson: image "${g.image}" is not in images.ndjson`);
    if (!labels.has(g.label)) fail(`gold.ndjson: label "${g.label}" is not in the taxonomy`);
  }
  for (const p of r["duplicates.ndjson"])
    if (!images.has(p.a) || !images.has(p.b))
      fail(`duplicates.ndjson: ${p.a} ~ ${p.b} names an unknown image`);
  for (const s of r["snapshots.ndjson"])
    if (s.createdBy !== null && !refs.has(s.createdBy))
      fail(`snapshots.ndjson: unknown author ${s.createdBy}`);
  for (const l of r["soft-labels.ndjson"]) {
    if (!snaps.has(l.snapshot))
      fail(`soft-labels.ndjson: snapshot "${l.snapshot}" is not in snapshots.ndjson`);
    if (!images.has(l.image)) fail(`soft-labels.ndjson: image "${l.image}" is not in images.ndjson`);
    if (l.probs.length !== C)
      fail(`soft-labels.ndjson: ${l.image} has ${l.probs.length} probabilities for ${C} labels`);
  }
}

export async function restoreArchive(db: TDb, options: TRestoreOptions): Promise<TRestoreReport> {
  const m = await readManifest(options.dir);
  const slug = options.slug ?? m.dataset.slug;
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) throw new ArchiveError(`--dataset: "${slug}" is not a slug`);
  const rows = {} as TRows;
  for (const name of ARCHIVE_FILES)
    (rows as Record<string, unknown>)[name] = await readRows(options.dir, name, m);
  checkReferences(m, rows);
  const added = Object.fromEntries(ARCHIVE_FILES.map((f) => [f, 0])) as Record<TArchiveFile, number>;
  const report = { datasetSlug: slug, alreadyRestored: false, added, archiveHash: m.archiveHash };

  const existing = await db.dataset.findUnique({ where: { slug }, select: { id: true } });
  if (existing) {
    const same = await db.importBatch.findFirst({
      where: { datasetId: existing.id, layout: "archive", origin: ORIGIN(m.archiveHash) },
      select: { id: true },
    });
    if (same) return { ...report, alreadyRestored: true };
    throw new ArchiveError(
      `dataset "${slug}" already exists here and was not restored from this archive: restore into another database, or under another slug with --dataset`,
    );
  }
  await db.$transaction(async (tx) => writeArchive(tx, m, slug, rows, added), {
    timeout: 30 * 60_000,
    maxWait: 10_000,
  });
  return report;
}

async function writeArchive(
  tx: TTx & Pick<TDb, "dataset" | "importBatch">,
  m: TManifest,
  slug: string,
  r: TRows,
  added: Record<TArchiveFile, number>,
): Promise<void> {
  const { createdAt, slug: _slug, ...meta } = m.dataset;
  const ds = await tx.dataset.create({ data: { ...meta, slug, createdAt: new Date(createdAt) } });
  const expect = (name: TArchiveFile, n: number) => {
    added[name] += n;
    if (added[name] > r[name].length) throw new ArchiveError(`${name}: more rows written than read`);
  };
  const batches = <T>(rows: T[], size = 2000) =>
    Array.from({ length: Math.ceil(rows.length / size) }, (_, k) => rows.slice(k * size, (k + 1) * size));

  // Accounts: identified archives reuse an existing account with the same email (its password and role stay as
  // they are); pseudonymous ones get a login-less account per ref, as imported crowd workers do.
  const annotators = r["annotators.ndjson"].map((a) => ({
    ...a,
    email: (a.email ?? restoredEmail(a.ref, slug)).toLowerCase(),
    name: a.name ?? a.ref,
  }));
  await tx.$executeRawUnsafe(
    `INSERT INTO "User" ("id","email","name","passwordHash","role","updatedAt")
     SELECT gen_random_uuid()::text, u.email, u.name, $4, u.role::"Role", now()
     FROM unnest($1::text[], $2::text[], $3::text[]) AS u(email, name, role)
     ON CONFLICT ("email") DO NOTHING`,
    annotators.map((a) => a.email),
    annotators.map((a) => a.name),
    annotators.map((a) => a.role),
    UNUSABLE_PASSWORD_HASH,
  );
  const users = await tx.$queryRawUnsafe<{ id: string; email: string }[]>(
    `SELECT "id", "email" FROM "User" WHERE "email" = ANY($1::text[])`,
    annotators.map((a) => a.email),
  );
  const idOfEmail = new Map(users.map((u) => [u.email, u.id]));
  const userOf = new Map(annotators.map((a) => [a.ref, idOfEmail.get(a.email)!]));
  added["annotators.ndjson"] = annotators.length;

  for (const b of batches(r["images.ndjson"]))
    expect(
      "images.ndjson",
      await tx.$executeRawUnsafe(
        `INSERT INTO "Image" ("id","datasetId","split","externalId","sha256","phash","width","height","pixels","conversion","createdAt")
         SELECT gen_random_uuid()::text, $1, u.split::"Split", u.ext, u.sha, u.ph, u.w, u.h, decode(u.px, 'base64'), u.conv, u.at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[], $9::text[], $10::timestamp[])
           AS u(split, ext, sha, ph, w, h, px, conv, at)`,
        ds.id,
        b.map((x) => x.split),
        b.map((x) => x.ext),
        b.map((x) => x.sha256),
        b.map((x) => x.phash),
        b.map((x) => x.width),
        b.map((x) => x.height),
        b.map((x) => x.pixels),
        b.map((x) => x.conversion),
        b.map((x) => x.createdAt),
      ),
    );
  const imageId = `(SELECT i."id" FROM "Image" i WHERE i."datasetId" = $1 AND i."externalId" = u.ext)`;
  for (const b of batches(r["tallies.ndjson"]))
    expect(
      "tallies.ndjson",
      await tx.$executeRawUnsafe(
        `INSERT INTO "ImportedTally" ("id","imageId","source","counts","createdAt")
         SELECT gen_random_uuid()::text, ${imageId}, u.src, u.counts::int[], u.at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamp[]) AS u(ext, src, counts, at)`,
        ds.id,
        b.map((t) => t.image),
        b.map((t) => t.source),
        b.map((t) => `{${t.counts.join(",")}}`),
        b.map((t) => t.createdAt),
      ),
    );
  // One tally recount at the end instead of one trigger run per vote (migration 20261124200000_image_tally).
  await tx.$executeRawUnsafe(`SELECT set_config('concord.tally_deferred', 'on', true)`);
  for (const b of batches(r["votes.ndjson"], 5000))
    expect(
      "votes.ndjson",
      await tx.$executeRawUnsafe(
        `INSERT INTO "Vote" ("id","imageId","annotatorId","label","durationMs","requestId","isGold","createdAt")
         SELECT gen_random_uuid()::text, ${imageId}, u.who, u.label, u.ms, u.rid, u.gold, u.at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bool[], $8::timestamp[])
           AS u(ext, who, label, ms, rid, gold, at)
         ON CONFLICT DO NOTHING`,
        ds.id,
        b.map((v) => v.image),
        b.map((v) => userOf.get(v.annotator)!),
        b.map((v) => v.label),
        b.map((v) => v.durationMs),
        b.map((v) => v.requestId),
        b.map((v) => v.isGold),
        b.map((v) => v.createdAt),
      ),
    );
  await tx.$executeRawUnsafe(`SELECT set_config('concord.tally_deferred', 'off', true)`);
  for (const b of batches(r["gold.ndjson"]))
    expect(
      "gold.ndjson",
      await tx.$executeRawUnsafe(
        `INSERT INTO "GoldLabel" ("imageId","label","createdAt")
         SELECT ${imageId}, u.label, u.at FROM unnest($2::text[], $3::text[], $4::timestamp[]) AS u(ext, label, at)`,
        ds.id,
        b.map((g) => g.image),
        b.map((g) => g.label),
        b.map((g) => g.createdAt),
      ),
    );
  await tx.$executeRawUnsafe(
    `SELECT concord_tally_refresh(array_agg("id")) FROM "Image" WHERE "datasetId" = $1`,
    ds.id,
  );
  for (const b of batches(r["duplicates.ndjson"]))
    expect(
      "duplicates.ndjson",
      await tx.$executeRawUnsafe(
        // The schema keeps imageAId < imageBId: order each pair by the new ids.
        `INSERT INTO "DuplicatePair" ("id","datasetId","imageAId","imageBId","kind","distance","crossSplit")
         SELECT gen_random_uuid()::text, $1, LEAST(a."id", b."id"), GREATEST(a."id", b."id"), u.kind::"DuplicateKind", u.d, u.xs
         FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::bool[]) AS u(ea, eb, kind, d, xs)
         JOIN "Image" a ON a."datasetId" = $1 AND a."externalId" = u.ea
         JOIN "Image" b ON b."datasetId" = $1 AND b."externalId" = u.eb`,
        ds.id,
        b.map((p) => p.a),
        b.map((p) => p.b),
        b.map((p) => p.kind),
        b.map((p) => p.distance),
        b.map((p) => p.crossSplit),
      ),
    );
  const snapshotIds = new Map<string, string>();
  for (const s of r["snapshots.ndjson"]) {
    const [row] = await tx.$queryRawUnsafe<{ id: string }[]>(
      `INSERT INTO "LabelSnapshot" ("id","datasetId","method","params","contentHash","stats","createdById","createdAt")
       VALUES (gen_random_uuid()::text, $1, $2, $3::jsonb, $4, $5::jsonb, $6, $7::timestamp) RETURNING "id"`,
      ds.id,
      s.method,
      JSON.stringify(s.params ?? {}),
      s.contentHash,
      JSON.stringify(mapStatsKeys(s.stats ?? {}, (ref) => userOf.get(ref))),
      s.createdBy === null ? null : userOf.get(s.createdBy)!,
      s.createdAt,
    );
    snapshotIds.set(s.contentHash, row!.id);
    expect("snapshots.ndjson", 1);
  }
  for (const b of batches(r["soft-labels.ndjson"], 5000))
    expect(
      "soft-labels.ndjson",
      await tx.$executeRawUnsafe(
        `INSERT INTO "SoftLabel" ("snapshotId","imageId","probs","label","votes")
         SELECT u.snap, ${imageId}, u.probs::float8[], u.label, u.votes
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS u(snap, ext, probs, label, votes)`,
        ds.id,
        b.map((l) => snapshotIds.get(l.snapshot)!),
        b.map((l) => l.image),
        b.map((l) => `{${l.probs.join(",")}}`),
        b.map((l) => l.label),
        b.map((l) => l.votes),
      ),
    );
  for (const name of ARCHIVE_FILES)
    if (added[name] !== r[name].length)
      throw new ArchiveError(
        `${name}: ${added[name]} of ${r[name].length} rows could be written (a vote's request id already used in this database?); nothing was restored`,
      );
  await tx.importBatch.create({
    data: {
      datasetId: ds.id,
      layout: "archive",
      origin: ORIGIN(m.archiveHash),
      added: r["images.ndjson"].length,
      skipped: 0,
      rejected: [],
      stats: { restoredFrom: m.createdAt, identified: m.identified, rows: added },
    },
  });
}
