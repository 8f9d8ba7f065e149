// Restoring the archive's decisions: annotator exclusions, review actions and qualification rounds. Runs in the
// restore's transaction after the images and votes (and the tally recount), before the snapshots.
import type { TTx } from "../write";
import { ArchiveError, type TArchiveFile, timedKey } from "./format";
import type { TRows } from "./read";
import { IMAGE_ID_OF_EXT, inBatches } from "./restore-sql";

export type TDecisionsContext = {
  tx: TTx;
  datasetId: string;
  /** Annotator ref -> user id in this database. */
  userOf: Map<string, string>;
  rows: TRows;
  /** Adds rows written to a file's count (the restore checks each count against the file at the end). */
  count: (name: TArchiveFile, n: number) => void;
};

const at = (d: Date | string) => new Date(d).toISOString();

/** Writes the decisions; returns each exclusion's id in this database by its archive key (ref/createdAt). */
export async function writeDecisions(c: TDecisionsContext): Promise<Map<string, string>> {
  const idOf = await writeExclusions(c);
  await writeImageActions(c);
  await writeQualification(c);
  return idOf;
}

// An exclusion is about a person, in every dataset, and an identified restore reuses accounts: an exclusion the
// account already has (same person, same time) is that same decision and is kept as it is; another active one
// is a conflict the admin must settle (at most one active exclusion per person).
async function writeExclusions({ tx, userOf, rows, count }: TDecisionsContext) {
  const xs = rows["exclusions.ndjson"].map((x) => ({
    ...x,
    who: userOf.get(x.annotator)!,
    by: x.createdBy === null ? null : userOf.get(x.createdBy)!,
    rby: x.revokedBy === null ? null : userOf.get(x.revokedBy)!,
  }));
  const idOf = new Map<string, string>();
  if (xs.length === 0) return idOf;
  const active = xs.filter((x) => x.revokedAt === null);
  const [clash] = await tx.$queryRawUnsafe<{ email: string; since: Date; archived: Date }[]>(
    `SELECT u."email", x."createdAt" AS since, a.at AS archived
     FROM unnest($1::text[], $2::timestamp[]) AS a(who, at)
     JOIN "AnnotatorExclusion" x ON x."annotatorId" = a.who AND x."revokedAt" IS NULL AND x."createdAt" <> a.at
     JOIN "User" u ON u."id" = a.who
     LIMIT 1`,
    active.map((x) => x.who),
    active.map((x) => x.createdAt),
  );
  if (clash)
    throw new ArchiveError(
      `exclusions.ndjson: ${clash.email} is already excluded in this database (since ${at(clash.since)}) by another decision than the archive's (${at(clash.archived)}): revoke one of them first; nothing was restored`,
    );
  await tx.$executeRawUnsafe(
    `INSERT INTO "AnnotatorExclusion" ("id","annotatorId","reason","createdById","createdAt","revokedAt","revokedById")
     SELECT gen_random_uuid()::text, u.who, u.reason, u.by, u.at, u.rat, u.rby
     FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamp[], $5::timestamp[], $6::text[])
       AS u(who, reason, by, at, rat, rby)
     WHERE NOT EXISTS (SELECT 1 FROM "AnnotatorExclusion" x WHERE x."annotatorId" = u.who AND x."createdAt" = u.at)`,
    xs.map((x) => x.who),
    xs.map((x) => x.reason),
    xs.map((x) => x.by),
    xs.map((x) => x.createdAt),
    xs.map((x) => x.revokedAt),
    xs.map((x) => x.rby),
  );
  const present = await tx.$queryRawUnsafe<{ id: string; who: string; at: Date }[]>(
    `SELECT x."id", x."annotatorId" AS who, x."createdAt" AS at FROM "AnnotatorExclusion" x
     JOIN unnest($1::text[], $2::timestamp[]) AS u(who, at) ON x."annotatorId" = u.who AND x."createdAt" = u.at`,
    xs.map((x) => x.who),
    xs.map((x) => x.createdAt),
  );
  const idOfRow = new Map(present.map((p) => [`${p.who} ${at(p.at)}`, p.id]));
  for (const x of xs) {
    const id = idOfRow.get(`${x.who} ${at(x.createdAt)}`);
    if (id) idOf.set(timedKey(x.annotator, x.createdAt), id);
  }
  count("exclusions.ndjson", idOf.size);
  return idOf;
}

async function writeImageActions({ tx, datasetId, userOf, rows, count }: TDecisionsContext) {
  const user = (ref: string | null) => (ref === null ? null : userOf.get(ref)!);
  for (const b of inBatches(rows["image-actions.ndjson"]))
    count(
      "image-actions.ndjson",
      await tx.$executeRawUnsafe(
        `INSERT INTO "ImageAction" ("id","imageId","kind","votes","target","label","createdById","createdAt","revokedById","revokedAt")
         SELECT gen_random_uuid()::text, ${IMAGE_ID_OF_EXT}, u.kind::"ImageActionKind", u.votes, u.target, u.label,
                u.by, u.at, u.rby, u.rat
         FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::timestamp[], $9::text[], $10::timestamp[])
           AS u(ext, kind, votes, target, label, by, at, rby, rat)`,
        datasetId,
        b.map((a) => a.image),
        b.map((a) => a.kind),
        b.map((a) => a.votes),
        b.map((a) => a.target),
        b.map((a) => a.label),
        b.map((a) => user(a.createdBy)),
        b.map((a) => a.createdAt),
        b.map((a) => user(a.revokedBy)),
        b.map((a) => a.revokedAt),
      ),
    );
}

async function writeQualification({ tx, datasetId, userOf, rows, count }: TDecisionsContext) {
  for (const b of inBatches(rows["qualification-attempts.ndjson"]))
    count(
      "qualification-attempts.ndjson",
      await tx.$executeRawUnsafe(
        `INSERT INTO "QualificationAttempt" ("id","userId","datasetId","size","passMark","answered","correct","passed","voidedAt","startedAt","finishedAt")
         SELECT gen_random_uuid()::text, u.who, $1, u.size, u.pm, u.n, u.ok, u.passed, u.voided, u.at, u.fin
         FROM unnest($2::text[], $3::int[], $4::float8[], $5::int[], $6::int[], $7::bool[], $8::timestamp[], $9::timestamp[], $10::timestamp[])
           AS u(who, size, pm, n, ok, passed, voided, at, fin)`,
        datasetId,
        b.map((t) => userOf.get(t.annotator)!),
        b.map((t) => t.size),
        b.map((t) => t.passMark),
        b.map((t) => t.answered),
        b.map((t) => t.correct),
        b.map((t) => t.passed),
        b.map((t) => t.voidedAt),
        b.map((t) => t.startedAt),
        b.map((t) => t.finishedAt),
      ),
    );
  for (const b of inBatches(rows["qualification-answers.ndjson"], 5000))
    count(
      "qualification-answers.ndjson",
      await tx.$executeRawUnsafe(
        `INSERT INTO "QualificationAnswer" ("id","attemptId","imageId","label","expected","isCorrect","durationMs","requestId","createdAt")
         SELECT gen_random_uuid()::text, t."id", ${IMAGE_ID_OF_EXT}, u.label, u.expected, u.ok, u.ms, u.rid, u.at
         FROM unnest($2::text[], $3::timestamp[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::int[], $9::text[], $10::timestamp[])
           AS u(who, started, ext, label, expected, ok, ms, rid, at)
         JOIN "QualificationAttempt" t ON t."datasetId" = $1 AND t."userId" = u.who AND t."startedAt" = u.started
         ON CONFLICT DO NOTHING`,
        datasetId,
        b.map((a) => userOf.get(a.annotator)!),
        b.map((a) => a.attempt),
        b.map((a) => a.image),
        b.map((a) => a.label),
        b.map((a) => a.expected),
        b.map((a) => a.isCorrect),
        b.map((a) => a.durationMs),
        b.map((a) => a.requestId),
        b.map((a) => a.createdAt),
      ),
    );
}
