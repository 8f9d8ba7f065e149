// `concord import-archive dir`: restores an archive (format.ts) into this database, all or nothing.
// Everything is checked before the first write: the manifest, every file's size, rows and sha256, the archive
// hash, every row's shape and every reference between files (read.ts, check.ts). Then one transaction writes it
// all and checks that every row went in; anything less rolls back. Restoring the same archive again adds
// nothing. An archive of an older version is restored too; what it did not carry starts empty or at defaults.
import type { TDb } from "@concord/db";
import { type TTx, UNUSABLE_PASSWORD_HASH } from "../write";
import { checkReferences } from "./check";
import { ARCHIVE_FILES, ArchiveError, restoredEmail, type TAnyManifest, type TArchiveFile } from "./format";
import { readAllRows, readManifest, type TRows } from "./read";
import { writeDecisions } from "./restore-decisions";
import { IMAGE_ID_OF_EXT, inBatches } from "./restore-sql";
import { mapStatsKeys } from "./stats-keys";

export { readManifest };
export type TRestoreOptions = { dir: string; slug?: string };
export type TRestoreReport = {
  datasetSlug: string;
  alreadyRestored: boolean;
  /** The archive's format version; below ARCHIVE_VERSION, `notInArchive` lists the files it did not have. */
  version: number;
  notInArchive: TArchiveFile[];
  added: Record<TArchiveFile, number>;
  archiveHash: string;
};

const ORIGIN = (hash: string) => `archive:${hash}`;
// Files whose rows carry a client request id, unique across the database.
const REQUEST_IDS = new Set<TArchiveFile>(["votes.ndjson", "qualification-answers.ndjson"]);

export async function restoreArchive(db: TDb, options: TRestoreOptions): Promise<TRestoreReport> {
  const m = await readManifest(options.dir);
  const slug = options.slug ?? m.dataset.slug;
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) throw new ArchiveError(`--dataset: "${slug}" is not a slug`);
  const added = Object.fromEntries(ARCHIVE_FILES.map((f) => [f, 0])) as Record<TArchiveFile, number>;
  const notInArchive = ARCHIVE_FILES.filter((f) => !(f in m.files));
  const report = {
    datasetSlug: slug,
    alreadyRestored: false,
    version: m.version,
    notInArchive,
    added,
    archiveHash: m.archiveHash,
  };

  // The same archive restored before (its hash is recorded with the restore): nothing to add.
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
  // Nothing is written before every file has been read and checked.
  const rows = await readAllRows(options.dir, m);
  checkReferences(m, rows);
  try {
    await db.$transaction(async (tx) => writeArchive(tx, m, slug, rows, added), {
      timeout: 30 * 60_000,
      maxWait: 10_000,
    });
  } catch (e) {
    // Another restore created the slug between the check above and this transaction (two restores at once):
    // this one rolled back whole. Say so instead of Prisma's unique-constraint error.
    if (isUniqueViolation(e, "slug"))
      throw new ArchiveError(
        `dataset "${slug}" was created by another restore while this one ran: nothing was written by this one; run it again to check it is the same archive`,
      );
    throw e;
  }
  return report;
}

function isUniqueViolation(e: unknown, field: string): boolean {
  const err = e as { code?: unknown; meta?: unknown } | null;
  // Where the constraint is named depends on the driver (meta.target, or the adapter's constraint index).
  return err?.code === "P2002" && JSON.stringify(err.meta ?? {}).includes(field);
}

async function writeArchive(
  tx: TTx & Pick<TDb, "dataset" | "importBatch">,
  m: TAnyManifest,
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

  for (const b of inBatches(r["images.ndjson"]))
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
  const imageId = IMAGE_ID_OF_EXT;
  for (const b of inBatches(r["tallies.ndjson"]))
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
  for (const b of inBatches(r["votes.ndjson"], 5000))
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
  for (const b of inBatches(r["gold.ndjson"]))
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
  for (const b of inBatches(r["duplicates.ndjson"]))
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
  // Exclusions, review actions (their trigger raises ImageTally.target) and qualification rounds; then the
  // snapshots, whose statistics name those exclusions.
  const exclusionIdOf = await writeDecisions({ tx, datasetId: ds.id, userOf, rows: r, count: expect });
  const snapshotIds = new Map<string, string>();
  for (const s of r["snapshots.ndjson"]) {
    const [row] = await tx.$queryRawUnsafe<{ id: string }[]>(
      `INSERT INTO "LabelSnapshot" ("id","datasetId","method","params","contentHash","stats","createdById","createdAt")
       VALUES (gen_random_uuid()::text, $1, $2, $3::jsonb, $4, $5::jsonb, $6, $7::timestamp) RETURNING "id"`,
      ds.id,
      s.method,
      JSON.stringify(s.params ?? {}),
      s.contentHash,
      JSON.stringify(
        mapStatsKeys(s.stats ?? {}, {
          annotator: (ref) => userOf.get(ref),
          exclusion: (key) => exclusionIdOf.get(key),
        }),
      ),
      s.createdBy === null ? null : userOf.get(s.createdBy)!,
      s.createdAt,
    );
    snapshotIds.set(s.contentHash, row!.id);
    expect("snapshots.ndjson", 1);
  }
  for (const b of inBatches(r["soft-labels.ndjson"], 5000))
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
        `${name}: ${added[name]} of ${r[name].length} rows could be written${REQUEST_IDS.has(name) ? " (a request id already used in this database?)" : ""}; nothing was restored`,
      );
  await tx.importBatch.create({
    data: {
      datasetId: ds.id,
      layout: "archive",
      origin: ORIGIN(m.archiveHash),
      added: r["images.ndjson"].length,
      skipped: 0,
      rejected: [],
      stats: { restoredFrom: m.createdAt, version: m.version, identified: m.identified, rows: added },
    },
  });
}
