import "server-only";
import { z } from "zod";
import { db } from "../db";
import { HttpError } from "../http";
import { annotatorProgress, goldStats, type TProgress } from "./progress";

export const ZVoteBody = z.object({
  imageId: z.string().trim().min(1, "required").max(64),
  label: z.string().trim().min(1, "required").max(64),
  // Client-chosen idempotency key (a UUID per key press): a retry carries the same one.
  requestId: z
    .string()
    .min(8, "at least 8 characters")
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only"),
  durationMs: z.number().int().min(0).max(3_600_000).optional(),
});
export type TVoteBody = z.infer<typeof ZVoteBody>;

// Gold answers needed before accuracy can pause anyone (a single early miss must not).
export const GOLD_MIN_ANSWERS = 5;

export type TVoteResult = {
  vote: { id: string; imageId: string; label: string; createdAt: string };
  replayed: boolean;
  gold?: { isCorrect: boolean; expected: string; accuracy: number | null; answered: number };
  paused?: { reason: string };
  progress: TProgress;
};

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "P2002";
}

type TVoteRow = { id: string; imageId: string; label: string; createdAt: Date; annotatorId: string };
const voteSelect = { id: true, imageId: true, label: true, createdAt: true, annotatorId: true } as const;

async function replay(requestId: string, annotatorId: string): Promise<TVoteRow | null> {
  const existing = await db().vote.findUnique({ where: { requestId }, select: voteSelect });
  if (!existing) return null;
  if (existing.annotatorId !== annotatorId)
    throw new HttpError(409, "requestId already used by another request");
  return existing;
}

async function result(
  vote: TVoteRow,
  replayed: boolean,
  extra: Partial<TVoteResult> = {},
): Promise<TVoteResult> {
  return {
    vote: { id: vote.id, imageId: vote.imageId, label: vote.label, createdAt: vote.createdAt.toISOString() },
    replayed,
    ...extra,
    progress: await annotatorProgress(vote.annotatorId),
  };
}

export async function castVote(
  annotatorId: string,
  body: TVoteBody,
): Promise<TVoteResult & { status: 200 | 201 }> {
  const previous = await replay(body.requestId, annotatorId);
  if (previous) return { ...(await result(previous, true)), status: 200 };

  const image = await db().image.findUnique({
    where: { id: body.imageId },
    select: {
      id: true,
      dataset: { select: { id: true, name: true, taxonomy: true, goldMinAccuracy: true } },
      gold: true,
    },
  });
  if (!image) throw new HttpError(404, `Unknown image "${body.imageId}"`);
  const { taxonomy } = image.dataset;
  if (!taxonomy.includes(body.label)) {
    throw new HttpError(
      400,
      `Label "${body.label}" is not in this dataset's taxonomy (${taxonomy.join(", ")})`,
    );
  }

  let vote: TVoteRow;
  try {
    vote = await db().vote.create({
      data: {
        imageId: image.id,
        annotatorId,
        label: body.label,
        requestId: body.requestId,
        durationMs: body.durationMs,
        isGold: image.gold !== null,
      },
      select: voteSelect,
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Two copies of the same request raced: the other one won; answer with its vote.
    const raced = await replay(body.requestId, annotatorId);
    if (raced) return { ...(await result(raced, true)), status: 200 };
    throw new HttpError(409, "You already voted on this image");
  }
  await db().taskLease.deleteMany({ where: { imageId: image.id, annotatorId } });

  if (!image.gold) return { ...(await result(vote, false)), status: 201 };

  const stats = await goldStats(annotatorId, image.dataset.id);
  const gold: TVoteResult["gold"] = {
    isCorrect: image.gold.label === body.label,
    expected: image.gold.label,
    accuracy: stats.accuracy,
    answered: stats.answered,
  };
  let paused: TVoteResult["paused"];
  if (
    stats.answered >= GOLD_MIN_ANSWERS &&
    stats.accuracy !== null &&
    stats.accuracy < image.dataset.goldMinAccuracy
  ) {
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    const reason =
      `Your accuracy on check questions in "${image.dataset.name}" is ${pct(stats.accuracy)} ` +
      `(${stats.correct} of ${stats.answered}), below the ${pct(image.dataset.goldMinAccuracy)} this dataset requires. ` +
      "An admin can review your answers and resume your account.";
    await db().user.update({
      where: { id: annotatorId },
      data: { pausedAt: new Date(), pausedReason: reason },
    });
    paused = { reason };
  }
  return { ...(await result(vote, false, { gold, paused })), status: 201 };
}

export async function undoLastVote(annotatorId: string) {
  const last = await db().vote.findFirst({
    where: { annotatorId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { id: true, imageId: true, label: true, isGold: true },
  });
  if (!last) throw new HttpError(404, "You have no vote to undo");
  // Feedback already revealed the expected answer: undoing would let anyone retake check questions.
  if (last.isGold) throw new HttpError(409, "Answers to check questions cannot be undone");
  await db().vote.delete({ where: { id: last.id } });
  return {
    undone: { imageId: last.imageId, label: last.label },
    progress: await annotatorProgress(annotatorId),
  };
}
