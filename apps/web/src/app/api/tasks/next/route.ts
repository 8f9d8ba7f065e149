import { ACCESS } from "@/lib/roles";
import { accessError, type TUserRow, withSession } from "@/server/guards";
import { json } from "@/server/http";
import { iso, query } from "@/server/sql";
import { findNextTask, pruneExpiredLeases } from "@/server/tasks/assign";
import { PROGRESS_COLUMNS, type TProgress } from "@/server/tasks/progress";

export const dynamic = "force-dynamic";

let lastPrune = 0;

// The caller's row (role, pause) and progress in one statement.
const USER_PROGRESS = {
  name: "tasks.userProgress",
  text: `SELECT u.role::text AS role, ${iso(`u."pausedAt"`)} AS "pausedAt", u."pausedReason", p.today, p.total
         FROM "User" u CROSS JOIN (SELECT ${PROGRESS_COLUMNS} FROM "Vote" WHERE "annotatorId" = $1) p
         WHERE u.id = $1`,
};

// GET /api/tasks/next[?datasetId=] -> { task: TTask | null, progress }; the image is leased to the caller.
export const GET = withSession(async (req, { userId }) => {
  const [row] = await query<Pick<TUserRow, "role" | "pausedAt" | "pausedReason"> & TProgress>(USER_PROGRESS, [
    userId,
  ]);
  const denied = accessError(row, ACCESS.label, true);
  if (denied) throw denied;
  if (Date.now() - lastPrune > 60_000) {
    lastPrune = Date.now();
    void pruneExpiredLeases().catch(() => {});
  }
  const datasetId = req.nextUrl.searchParams.get("datasetId") ?? undefined;
  const task = await findNextTask(userId, { datasetId });
  const progress: TProgress = { today: row!.today, total: row!.total };
  // no-transform: the body is mostly a base64 PNG, which gzip cannot shrink enough to pay for itself.
  return json({ task, progress }, 200, { "Cache-Control": "no-store, no-transform" });
});
