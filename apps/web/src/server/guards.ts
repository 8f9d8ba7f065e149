import "server-only";
import { createSecretKey, hkdfSync, type KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type JWTPayload, jwtDecrypt } from "jose";
import { forbidden, redirect } from "next/navigation";
import type { NextRequest } from "next/server";
import { getServerSession } from "next-auth";
import { getToken, type JWT } from "next-auth/jwt";
import { cache } from "react";
import type { TRole } from "@/lib/roles";
import { accessError, type TUserRow } from "./access";
import { authOptions } from "./auth";
import { getEnv } from "./env";
import { errorToAnswer, jsonErrorAnswer, type TBodyRequest, type TJsonAnswer, toResponse } from "./http";
import { serveNode } from "./node-route";
import { isMutating, isSameOrigin } from "./origin";
import { iso, query } from "./sql";

export { accessError, type TUserRow } from "./access";
export { HttpError, jsonAnswer, jsonError, parseJson, type TJsonAnswer } from "./http";

export type TSessionUser = {
  id: string;
  name: string;
  email: string;
  role: TRole;
  pausedAt: Date | null;
  pausedReason: string | null;
};

export const toSessionUser = (row: TUserRow): TSessionUser => ({
  ...row,
  pausedAt: row.pausedAt === null ? null : new Date(row.pausedAt),
});

const LOAD_USER = {
  name: "guards.loadUser",
  text: `SELECT id, name, email, role::text AS role, ${iso(`"pausedAt"`)} AS "pausedAt", "pausedReason"
         FROM "User" WHERE id = $1`,
};

// The JWT only says who signed in; role and pause state come from the database on every request, so a
// role change or a pause takes effect at once (one primary-key lookup, a prepared statement).
export async function loadUser(id: string): Promise<TSessionUser | null> {
  const row = (await query<TUserRow>(LOAD_USER, [id]))[0];
  return row ? toSessionUser(row) : null;
}

// next-auth's own decode derives the JWE key with HKDF on every call. Same key derivation and the same
// jwtDecrypt check (A256GCM, 15 s clock tolerance), with the derived key kept per secret and each
// verified token remembered until it expires: the identity costs one Map lookup per request. The role is
// never taken from the token (see loadUser).
const TOKEN_CACHE_MAX = 10_000;
const CLOCK_TOLERANCE_S = 15;
let keyFor: { secret: string; key: KeyObject } | undefined;
const verified = new Map<string, JWTPayload>();

function encryptionKey(secret: string): KeyObject {
  if (keyFor?.secret !== secret) {
    const raw = hkdfSync("sha256", secret, "", "NextAuth.js Generated Encryption Key", 32);
    keyFor = { secret, key: createSecretKey(Buffer.from(raw)) };
    verified.clear();
  }
  return keyFor.key;
}

const isLive = (payload: JWTPayload) =>
  payload.exp === undefined || payload.exp + CLOCK_TOLERANCE_S > Date.now() / 1000;

async function decodeSession({
  token,
  secret,
}: {
  token?: string;
  secret: string | Buffer;
}): Promise<JWT | null> {
  if (!token) return null;
  const key = encryptionKey(String(secret));
  const hit = verified.get(token);
  if (hit) {
    if (isLive(hit)) return hit as JWT;
    verified.delete(token);
  }
  const { payload } = await jwtDecrypt(token, key, { clockTolerance: CLOCK_TOLERANCE_S });
  if (verified.size >= TOKEN_CACHE_MAX) verified.delete(verified.keys().next().value as string);
  verified.set(token, payload);
  return payload as JWT;
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

type TSessionHandler<P> = (
  req: NextRequest,
  ctx: { userId: string; params: P },
) => Promise<Response> | Response;

// What the session check and a hot route's body read of a request: its method, headers, cookies, query and
// body. Next's NextRequest gives it (fromNextRequest) and so does apps/web/server.mjs from node:http
// (./node-route.ts), so both serve a route with the same code.
export type TRouteRequest = TBodyRequest & {
  method: string;
  // next-auth's getToken reads either: NextRequest's cookie store or a name -> value object.
  cookies: NextRequest["cookies"] | Record<string, string>;
  searchParams: URLSearchParams;
};

const fromNextRequest = (req: NextRequest): TRouteRequest => ({
  method: req.method,
  headers: req.headers,
  cookies: req.cookies,
  searchParams: req.nextUrl.searchParams,
  text: () => req.text(),
});

// Route handlers: 401 anonymous, 403 wrong role or cross-origin mutation, HttpError/zod -> 4xx,
// Postgres down -> 503, Redis down (QueueUnavailableError) -> 503.
export function withRole<P = Record<string, string>>(roles: readonly TRole[], handler: THandler<P>) {
  return withSession<P>(async (req, { userId, params }) => {
    const user = await loadUser(userId);
    const denied = accessError(user, roles);
    if (denied) throw denied;
    return handler(req, { user: user!, params });
  });
}

// The signed-in id (next-auth JWT cookie), or the refusal: 401 anonymous, 403 a cross-origin mutation.
async function sessionOf(req: TRouteRequest): Promise<{ userId: string } | TJsonAnswer> {
  const env = getEnv();
  const token = await getToken({
    // getToken reads these two only (its types ask for a whole request of one of the frameworks).
    req: {
      cookies: req.cookies,
      headers: { authorization: req.headers.get("authorization") ?? undefined },
    } as unknown as Parameters<typeof getToken>[0]["req"],
    secret: env.NEXTAUTH_SECRET,
    decode: decodeSession,
  });
  if (!token?.id) return jsonErrorAnswer(401, "Sign in required");
  if (
    isMutating(req.method) &&
    !isSameOrigin(
      req.headers.get("origin"),
      req.headers.get("host"),
      req.headers.get("x-forwarded-host"),
      env.NEXTAUTH_URL,
    )
  ) {
    return jsonErrorAnswer(403, "Cross-origin request refused");
  }
  return { userId: token.id };
}

// A handler's error as the answer: errorToAnswer, except that an error nobody classified while Postgres is
// unreachable is an outage, not a bug (e.g. a connection killed in the middle of a transaction surfacing
// through a path we have not seen): 503, so clients retry.
async function failureAnswer(error: unknown): Promise<TJsonAnswer> {
  const answer = errorToAnswer(error);
  if (answer.status === 500 && !(await isDatabaseReachable())) {
    return jsonErrorAnswer(503, "Database unavailable; try again shortly", undefined, { "Retry-After": "2" });
  }
  return answer;
}

// For the hot routes that read the user row inside their own SQL statement (one round trip instead of
// two): the signed-in id, the same-origin check and the error mapping of withRole, but the handler MUST
// apply accessError() to the row it read before acting on it.
export function withSession<P = Record<string, string>>(handler: TSessionHandler<P>) {
  return async (req: NextRequest, ctx: TRouteContext<P>): Promise<Response> => {
    try {
      const session = await sessionOf(fromNextRequest(req));
      if (!("userId" in session)) return toResponse(session);
      return await handler(req, { userId: session.userId, params: await ctx.params });
    } catch (error) {
      return toResponse(await failureAnswer(error));
    }
  };
}

// A route body that works on TRouteRequest and answers with a TJsonAnswer (no params: the hot routes'
// paths have none).
export type TPlainRoute = (req: TRouteRequest) => Promise<TJsonAnswer>;

// The labelling loop's routes (POST /api/votes, GET /api/tasks/next): withSession's checks and error mapping
// around a body that reads a TRouteRequest and answers a TJsonAnswer. The result is the route's Next handler
// with the same route as `plain`, which apps/web/server.mjs calls from node:http without Next's request
// pipeline (one implementation: the Next handler is `plain` plus the NextRequest and Response adapters), and
// `node`, `plain` served from a node:http request and response (./node-route.ts).
export function sessionRoute(
  handler: (req: TRouteRequest, ctx: { userId: string }) => Promise<TJsonAnswer>,
): ((req: NextRequest, ctx: TRouteContext<Record<string, string>>) => Promise<Response>) & {
  plain: TPlainRoute;
  node: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
} {
  const plain: TPlainRoute = async (req) => {
    try {
      const session = await sessionOf(req);
      if (!("userId" in session)) return session;
      return await handler(req, session);
    } catch (error) {
      return failureAnswer(error);
    }
  };
  const next = async (req: NextRequest) => toResponse(await plain(fromNextRequest(req)));
  return Object.assign(next, {
    plain,
    node: (req: IncomingMessage, res: ServerResponse) => serveNode(plain, req, res),
  });
}

async function isDatabaseReachable(timeoutMs = 1_500): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = query({ name: "guards.ping", text: "SELECT 1" }, [])
    .then(() => true)
    .catch(() => false);
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
