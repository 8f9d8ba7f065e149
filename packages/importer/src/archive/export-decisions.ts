// The archive's record of decisions about people and faces: annotator exclusions, the review queue's image
// actions, and qualification rounds (attempts and their answers). Rows are sorted by their content (refs,
// external ids, times), never by database id, so a restored dataset exports the same files.
import type { AnnotatorExclusion, TDb } from "@concord/db";
import type { TWriteFile } from "./export";
import { compareText as cmp, timedKey } from "./format";

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d === null ? null : d.toISOString());
const byJson = (a: unknown, b: unknown) => cmp(JSON.stringify(a), JSON.stringify(b));

/**
 * Writes exclusions.ndjson, image-actions.ndjson and the qualification files; returns each exclusion's key
 * (timedKey of its annotator ref and time) by its id, for the snapshot statistics that name it.
 */
export async function writeDecisions(
  db: TDb,
  datasetId: string,
  exclusions: AnnotatorExclusion[],
  ref: (userId: string | null) => string | null,
  writeFile: TWriteFile,
): Promise<Map<string, string>> {
  const keyOf = new Map<string, string>();
  await writeFile("exclusions.ndjson", async (emit) => {
    const rows = exclusions.map((x) => {
      const row = {
        annotator: ref(x.annotatorId)!,
        reason: x.reason,
        createdBy: ref(x.createdById),
        createdAt: iso(x.createdAt),
        revokedBy: ref(x.revokedById),
        revokedAt: isoOrNull(x.revokedAt),
      };
      keyOf.set(x.id, timedKey(row.annotator, row.createdAt));
      return row;
    });
    rows.sort((a, b) => cmp(a.annotator, b.annotator) || cmp(a.createdAt, b.createdAt) || byJson(a, b));
    for (const row of rows) await emit(row);
  });

  await writeFile("image-actions.ndjson", async (emit) => {
    const actions = await db.imageAction.findMany({
      where: { image: { datasetId } },
      include: { image: { select: { externalId: true } } },
    });
    const rows = actions.map((a) => ({
      image: a.image.externalId,
      kind: a.kind,
      votes: a.votes,
      target: a.target,
      label: a.label,
      createdBy: ref(a.createdById),
      createdAt: iso(a.createdAt),
      revokedBy: ref(a.revokedById),
      revokedAt: isoOrNull(a.revokedAt),
    }));
    rows.sort((a, b) => cmp(a.image, b.image) || cmp(a.createdAt, b.createdAt) || byJson(a, b));
    for (const row of rows) await emit(row);
  });

  const attempts = await db.qualificationAttempt.findMany({
    where: { datasetId },
    include: { answers: { include: { image: { select: { externalId: true } } } } },
  });
  const keyed = attempts
    .map((t) => ({ t, annotator: ref(t.userId)!, startedAt: iso(t.startedAt) }))
    .sort((a, b) => cmp(a.annotator, b.annotator) || cmp(a.startedAt, b.startedAt));
  await writeFile("qualification-attempts.ndjson", async (emit) => {
    for (const { t, annotator, startedAt } of keyed)
      await emit({
        annotator,
        startedAt,
        size: t.size,
        passMark: t.passMark,
        answered: t.answered,
        correct: t.correct,
        passed: t.passed,
        voidedAt: isoOrNull(t.voidedAt),
        finishedAt: isoOrNull(t.finishedAt),
      });
  });
  await writeFile("qualification-answers.ndjson", async (emit) => {
    for (const { t, annotator, startedAt } of keyed) {
      const answers = t.answers
        .map((a) => ({ a, image: a.image.externalId }))
        .sort((x, y) => cmp(x.image, y.image));
      for (const { a, image } of answers)
        await emit({
          annotator,
          attempt: startedAt,
          image,
          label: a.label,
          expected: a.expected,
          isCorrect: a.isCorrect,
          durationMs: a.durationMs,
          requestId: a.requestId,
          createdAt: iso(a.createdAt),
        });
    }
  });
  return keyOf;
}
