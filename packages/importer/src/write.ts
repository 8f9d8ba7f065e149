import type { TDb } from "@concord/db";
import type { TRow } from "./layouts/types";
import { perceptualHash } from "./phash";
import { sha256Hex } from "./pixels";

// Interactive-transaction client: what db.$transaction(async (tx) => ...) hands over.
export type TTx = Pick<TDb, "$queryRawUnsafe" | "$executeRawUnsafe">;

// Accounts for annotators named in an imported votes.csv. "!" can never be produced by argon2, so nobody can
// sign in as them; they exist so their votes stay attributed (Dawid-Skene & co. need worker ids).
export const UNUSABLE_PASSWORD_HASH = "!imported-annotator-no-login";

export const importEmail = (worker: string, datasetSlug: string) =>
  `${worker}@${datasetSlug}.import`.toLowerCase();

export async function ensureImportedAnnotators(tx: TTx, datasetSlug: string, workers: Iterable<string>) {
  const emails = [...new Set([...workers].map((w) => importEmail(w, datasetSlug)))];
  if (emails.length === 0) return 0;
  return tx.$executeRawUnsafe(
    `INSERT INTO "User" ("id","email","name","passwordHash","role","updatedAt")
     SELECT gen_random_uuid()::text, e, split_part(e, '@', 1), $2, 'ANNOTATOR'::"Role", now()
     FROM unnest($1::text[]) AS e
     ON CONFLICT ("email") DO NOTHING`,
    emails,
    UNUSABLE_PASSWORD_HASH,
  );
}

/**
 * Writes one batch with four multi-row statements (unnest of column arrays: one round trip per table instead of
 * one per face). Faces already present are left alone (ON CONFLICT DO NOTHING), which makes re-imports add
 * nothing. Returns the external ids actually added.
 */
export async function writeBatch(
  tx: TTx,
  datasetId: string,
  datasetSlug: string,
  rows: TRow[],
): Promise<string[]> {
  if (rows.length === 0) return [];
  const inserted = await tx.$queryRawUnsafe<{ externalId: string }[]>(
    `INSERT INTO "Image" ("id","datasetId","split","externalId","sha256","phash","pixels","conversion")
     SELECT gen_random_uuid()::text, $1, u.split::"Split", u.ext, u.sha, u.ph, decode(u.px, 'base64'), u.conv
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       AS u(split, ext, sha, ph, px, conv)
     ON CONFLICT ("datasetId","externalId") DO NOTHING
     RETURNING "externalId"`,
    datasetId,
    rows.map((r) => r.split),
    rows.map((r) => r.externalId),
    rows.map((r) => r.sha256 ?? sha256Hex(r.pixels)),
    rows.map((r) => r.phash ?? perceptualHash(r.pixels)),
    rows.map((r) =>
      Buffer.from(r.pixels.buffer, r.pixels.byteOffset, r.pixels.byteLength).toString("base64"),
    ),
    rows.map((r) => r.conversion),
  );
  const added = new Set(inserted.map((r) => r.externalId));
  const fresh = rows.filter((r) => added.has(r.externalId));

  const tallies = fresh.flatMap((r) => r.tallies.map((t) => ({ ext: r.externalId, ...t })));
  if (tallies.length > 0) {
    await tx.$executeRawUnsafe(
      `INSERT INTO "ImportedTally" ("id","imageId","source","counts")
       SELECT gen_random_uuid()::text, i."id", u.src, u.counts::int[]
       FROM unnest($2::text[], $3::text[], $4::text[]) AS u(ext, src, counts)
       JOIN "Image" i ON i."datasetId" = $1 AND i."externalId" = u.ext
       ON CONFLICT ("imageId","source") DO NOTHING`,
      datasetId,
      tallies.map((t) => t.ext),
      tallies.map((t) => t.source),
      tallies.map((t) => `{${t.counts.join(",")}}`),
    );
  }
  const votes = fresh.flatMap((r) => r.votes.map((v) => ({ ext: r.externalId, ...v })));
  if (votes.length > 0) {
    // The per-vote tally trigger is deferred for this insert and the new images' tallies recounted once after
    // it (migration 20261124200000_image_tally): one UPDATE per image instead of one per vote.
    await tx.$executeRawUnsafe(`SELECT set_config('concord.tally_deferred', 'on', true)`);
    await tx.$executeRawUnsafe(
      `INSERT INTO "Vote" ("id","imageId","annotatorId","label")
       SELECT gen_random_uuid()::text, i."id", usr."id", u.label
       FROM unnest($2::text[], $3::text[], $4::text[]) AS u(ext, email, label)
       JOIN "Image" i ON i."datasetId" = $1 AND i."externalId" = u.ext
       JOIN "User" usr ON usr."email" = u.email
       ON CONFLICT ("imageId","annotatorId") DO NOTHING`,
      datasetId,
      votes.map((v) => v.ext),
      votes.map((v) => importEmail(v.worker, datasetSlug)),
      votes.map((v) => v.label),
    );
    await tx.$executeRawUnsafe(`SELECT set_config('concord.tally_deferred', 'off', true)`);
    await tx.$executeRawUnsafe(
      `SELECT concord_tally_refresh(array_agg(i."id")) FROM "Image" i
       WHERE i."datasetId" = $1 AND i."externalId" = ANY($2::text[])`,
      datasetId,
      [...new Set(votes.map((v) => v.ext))],
    );
  }
  const gold = fresh.filter((r) => r.gold !== undefined);
  if (gold.length > 0) {
    await tx.$executeRawUnsafe(
      `INSERT INTO "GoldLabel" ("imageId","label")
       SELECT i."id", u.label FROM unnest($2::text[], $3::text[]) AS u(ext, label)
       JOIN "Image" i ON i."datasetId" = $1 AND i."externalId" = u.ext
       ON CONFLICT ("imageId") DO NOTHING`,
      datasetId,
      gold.map((r) => r.externalId),
      gold.map((r) => r.gold!),
    );
  }
  return [...added];
}
