import "server-only";
import { ACCESS } from "@/lib/roles";
import { accessError, type TUserRow } from "../access";
import { adminContacts, blockedRounds, type TQualificationState } from "../checks/qualification";
import { iso, query } from "../sql";
import {
  findNextTask,
  pruneExpiredLeases,
  type TLeaseNextRow,
  type TTask,
  taskFromLeaseNext,
} from "./assign";
import { PROGRESS_FROM, type TProgress } from "./progress";

// The caller's row (role, pause) and progress in one statement. $1 user.
const USER_PROGRESS = {
  name: "tasks.userProgress",
  text: `SELECT u.role::text AS role, ${iso(`u."pausedAt"`)} AS "pausedAt", u."pausedReason", p.today, p.total
         FROM "User" u CROSS JOIN ${PROGRESS_FROM} p
         WHERE u.id = $1`,
};

let lastPrune = 0;
// An expired lease keeps its image out of the pick until it is deleted: an abandoned face comes back at most
// this long after its lease ends (each web process prunes; the DELETE reads the expiry index).
const PRUNE_EVERY_MS = 5_000;

function pruneNow() {
  if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
    lastPrune = Date.now();
    void pruneExpiredLeases().catch(() => {});
  }
}

// The next task leased to an annotator whose access was checked already, with the lease housekeeping: every
// few seconds per process, off the request's path. `random`: the draw for a check question.
export async function leaseNextTask(
  userId: string,
  datasetId?: string,
  random?: () => number,
): Promise<TTask | null> {
  pruneNow();
  return findNextTask(userId, { datasetId, random });
}

// The `next` of a vote's answer: the face leased in the vote's own transaction (`after.leased`, see castVote)
// or else the web's own pick, with the draw the vote's pick used for the first dataset. The vote is committed
// and acknowledged whatever happens here: on an error `next` is left out (undefined) and the page asks
// GET /api/tasks/next instead.
export async function nextTaskAfterVote(
  userId: string,
  datasetId?: string,
  after?: { leased: TLeaseNextRow | undefined; draw: number },
): Promise<TTask | null | undefined> {
  try {
    const leased = after?.leased ? await taskFromLeaseNext(userId, after.leased) : undefined;
    if (leased) {
      pruneNow();
      return leased;
    }
    const draws = after ? [after.draw] : [];
    return await leaseNextTask(userId, datasetId, () => draws.pop() ?? Math.random());
  } catch (error) {
    console.error("[web] next task after a vote failed; the page falls back to GET /api/tasks/next", error);
    return undefined;
  }
}

export type TNextTask = {
  task: TTask | null;
  progress: TProgress;
  // Only without a task: qualification rounds the annotator failed (or cannot take) on the datasets asked
  // for, and who to ask for another attempt.
  blocked?: { rounds: TQualificationState[]; ask: string[] };
};

// GET /api/tasks/next: the signed-in annotator's next task, leased to them, with their progress. Refuses
// (401/403) a user who is gone, not an annotator or paused, before leasing anything.
export async function nextTaskFor(userId: string, datasetId?: string): Promise<TNextTask> {
  const [row] = await query<Pick<TUserRow, "role" | "pausedAt" | "pausedReason"> & TProgress>(USER_PROGRESS, [
    userId,
  ]);
  const denied = accessError(row, ACCESS.label, true);
  if (denied) throw denied;
  const task = await leaseNextTask(userId, datasetId);
  const progress = { today: row!.today, total: row!.total };
  if (task) return { task, progress };
  const rounds = await blockedRounds(userId, datasetId);
  return rounds.length
    ? { task, progress, blocked: { rounds, ask: await adminContacts() } }
    : { task, progress };
}
