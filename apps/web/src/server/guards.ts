import "server-only";
import { forbidden, redirect } from "next/navigation";
import type { NextRequest } from "next/server";
import { getServerSession } from "next-auth";
import { getToken } from "next-auth/jwt";
import { cache } from "react";
import type { TRole } from "@/lib/roles";
import { authOptions } from "./auth";
import { db } from "./db";
import { getEnv } from "./env";
import { errorToResponse, jsonError } from "./http";
import { isMutating, isSameOrigin } from "./origin";

export { HttpError, jsonError, parseJson } from "./http";

export type TSessionUser = {
  id: string;
  name: string;
  email: string;
  role: TRole;
  pausedAt: Date | null;
  pausedReason: string | null;
};

// The JWT only says who signed in; role and pause state come from the database on every request, so a
// role change or a pause takes effect at once (one primary-key lookup).
async function loadUser(id: string): Promise<TSessionUser | null> {
  return db().user.findUnique({
    where: { id },
    select: { id: true, name: true, email: true, role: true, pausedAt: true, pausedReason: true },
  });
}

// Server components: the signed-in user or null (one lookup per request, shared by layout and page).
export const getCurrentUser = cache(async (): Promise<TSessionUser | null> => {
  const session = await getServerSession(authOptions);
  if (!session?.user?.id) return null;
  return loadUser(session.user.id);
});

// Pages: anonymous -> redirect to /login; wrong role -> app/forbidden.tsx with HTTP 403.
export async function requireUser(roles?: readonly TRole[]): Promise<TSessionUser> {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  if (roles && !roles.includes(user.role)) forbidden();
  return user;
}

type TRouteContext<P> = { params: Promise<P> };
type THandler<P> = (req: NextRequest, ctx: { user: TSessionUser; params: P }) => Promise<Response> | Response;

// Route handlers: 401 anonymous, 403 wrong role or cross-origin mutation, HttpError/zod -> 4xx,
// Postgres down -> 503, Redis down (QueueUnavailableError) -> 503.
export function withRole<P = Record<string, string>>(roles: readonly TRole[], handler: THandler<P>) {
  return async (req: NextRequest, ctx: TRouteContext<P>): Promise<Response> => {
    try {
      const env = getEnv();
      const token = await getToken({ req, secret: env.NEXTAUTH_SECRET });
      if (!token?.id) return jsonError(401, "Sign in required");
      if (
        isMutating(req.method) &&
        !isSameOrigin(
          req.headers.get("origin"),
          req.headers.get("host"),
          req.headers.get("x-forwarded-host"),
          env.NEXTAUTH_URL,
        )
      ) {
        return jsonError(403, "Cross-origin request refused");
      }
      const user = await loadUser(token.id);
      if (!user) return jsonError(401, "Session no longer valid; sign in again");
      if (!roles.includes(user.role)) return jsonError(403, `Forbidden: requires role ${roles.join(" or ")}`);
      return await handler(req, { user, params: await ctx.params });
    } catch (error) {
      const response = errorToResponse(error);
      // An error nobody classified while Postgres is unreachable is an outage, not a bug (e.g. a connection
      // killed in the middle of a transaction surfacing through a path we have not seen): 503, so clients retry.
      if (response.status === 500 && !(await isDatabaseReachable())) {
        return jsonError(503, "Database unavailable; try again shortly", undefined, { "Retry-After": "2" });
      }
      return response;
    }
  };
}

async function isDatabaseReachable(timeoutMs = 1_500): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = db().$queryRaw`SELECT 1`.then(() => true).catch(() => false);
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
