import "server-only";
import { ACCESS } from "@/lib/roles";
import { accessError, type TUserRow } from "../access";
import { adminContacts, blockedRounds, type TQualificationState } from "../checks/qualification";
import { iso, query } from "../sql";
import { findNextTask, pruneExpiredLeases, type TTask } from "./assign";
import { PROGRESS_COLUMNS, type TProgress } from "./progress";

// The caller's row (role, pause) and progress in one statement. $1 user.
const USER_PROGRESS = {
  name: "tasks.userProgress",
  text: `SELECT u.role::text AS role, ${iso(`u."pausedAt"`)} AS "pausedAt", u."pausedReason", p.today, p.total
         FROM "User" u CROSS JOIN (SELECT ${PROGRESS_COLUMNS} FROM "Vote" WHERE "annotatorId" = $1) p
         WHERE u.id = $1`,
};

let lastPrune = 0;

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
  // Housekeeping at most once a minute per process, off the request's path.
  if (Date.now() - lastPrune > 60_000) {
    lastPrune = Date.now();
    void pruneExpiredLeases().catch(() => {});
  }
  const task = await findNextTask(userId, { datasetId });
  const progress = { today: row!.today, total: row!.total };
  if (task) return { task, progress };
  const rounds = await blockedRounds(userId, datasetId);
  return rounds.length
    ? { task, progress, blocked: { rounds, ask: await adminContacts() } }
    : { task, progress };
}
