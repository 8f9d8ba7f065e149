import "server-only";
import { hash } from "@node-rs/argon2";
import { z } from "zod";
import { ROLES } from "@/lib/roles";
import { db } from "../db";
import { HttpError } from "../http";
import { query } from "../sql";

export const ZCreateUser = z.object({
  name: z.string().trim().min(1, "required").max(120, "at most 120 characters"),
  email: z.string().trim().toLowerCase().email("not an email address").max(320),
  role: z.enum(ROLES, { message: `one of ${ROLES.join(", ")}` }),
  password: z.string().min(10, "at least 10 characters").max(200, "at most 200 characters"),
});

export const ZUpdateUser = z
  .object({
    role: z.enum(ROLES, { message: `one of ${ROLES.join(", ")}` }).optional(),
    // Clears a gold-accuracy pause and starts a probation window (User.resumedAt).
    resume: z.literal(true).optional(),
  })
  .refine((v) => v.role !== undefined || v.resume !== undefined, {
    message: "nothing to change (role or resume)",
  });

const publicUser = {
  id: true,
  name: true,
  email: true,
  role: true,
  pausedAt: true,
  pausedReason: true,
  createdAt: true,
} as const;

export type TUserRow = {
  id: string;
  name: string;
  email: string;
  role: (typeof ROLES)[number];
  pausedAt: Date | null;
  pausedReason: string | null;
  createdAt: Date;
  votes: number;
  goldAnswered: number;
  goldCorrect: number;
};

// Votes, gold answers and correct gold answers per annotator.
const VOTE_STATS = {
  name: "users.voteStats",
  text: `SELECT v."annotatorId", count(*)::int AS votes,
                count(g."imageId")::int AS answered,
                count(*) FILTER (WHERE v.label = g.label)::int AS correct
         FROM "Vote" v LEFT JOIN "GoldLabel" g ON g."imageId" = v."imageId"
         GROUP BY 1`,
};

export async function listUsers(): Promise<TUserRow[]> {
  const [users, stats] = await Promise.all([
    db().user.findMany({ select: publicUser, orderBy: [{ role: "asc" }, { email: "asc" }] }),
    query<{ annotatorId: string; votes: number; answered: number; correct: number }>(VOTE_STATS, []),
  ]);
  const byUser = new Map(stats.map((s) => [s.annotatorId, s]));
  return users.map((u) => {
    const s = byUser.get(u.id);
    return { ...u, votes: s?.votes ?? 0, goldAnswered: s?.answered ?? 0, goldCorrect: s?.correct ?? 0 };
  });
}

export async function createUser(input: z.infer<typeof ZCreateUser>) {
  const exists = await db().user.findUnique({ where: { email: input.email }, select: { id: true } });
  if (exists) throw new HttpError(409, `A user with email ${input.email} already exists`);
  try {
    return await db().user.create({
      data: {
        name: input.name,
        email: input.email,
        role: input.role,
        passwordHash: await hash(input.password),
      },
      select: publicUser,
    });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") {
      throw new HttpError(409, `A user with email ${input.email} already exists`);
    }
    throw error;
  }
}

export async function updateUser(actorId: string, id: string, change: z.infer<typeof ZUpdateUser>) {
  const target = await db().user.findUnique({ where: { id }, select: { id: true, role: true } });
  if (!target) throw new HttpError(404, "Unknown user");
  // An admin demoting themselves could leave nobody able to manage accounts.
  if (change.role && id === actorId && change.role !== target.role) {
    throw new HttpError(409, "You cannot change your own role");
  }
  return db().user.update({
    where: { id },
    data: {
      ...(change.role ? { role: change.role } : {}),
      // Resume starts a probation window: check answers before it no longer count toward a pause.
      ...(change.resume ? { pausedAt: null, pausedReason: null, resumedAt: new Date() } : {}),
    },
    select: publicUser,
  });
}
