// Who may act, from the user row read on every request. Pure (no server-only, no Next): unit-tested and
// shared by the guards and by statements that read the row themselves (the vote API).
import type { TRole } from "@/lib/roles";
import { HttpError } from "./http";

// The user row as the hot paths read it (pausedAt as an ISO string).
export type TUserRow = {
  id: string;
  name: string;
  email: string;
  role: TRole;
  pausedAt: string | null;
  pausedReason: string | null;
};

// The checks every route handler applies to the user row, in this order: gone (401), wrong role (403),
// and for handlers that refuse paused annotators, paused (403 with the reason).
export function accessError(
  user: { role: TRole; pausedAt: unknown; pausedReason: string | null } | null | undefined,
  roles: readonly TRole[],
  refusePaused = false,
): HttpError | null {
  if (!user) return new HttpError(401, "Session no longer valid; sign in again");
  if (!roles.includes(user.role)) return new HttpError(403, `Forbidden: requires role ${roles.join(" or ")}`);
  if (refusePaused && user.pausedAt)
    return new HttpError(403, "Your account is paused", { paused: true, reason: user.pausedReason });
  return null;
}
