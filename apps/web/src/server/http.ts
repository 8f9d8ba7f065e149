// JSON errors and request parsing shared by every route handler. Pure (no server-only): unit-tested.
import type { z } from "zod";

export type TErrorBody = { error: string; details?: unknown };

// JSON serialised once. Next's gzip middleware compresses every streamed route-handler body (it drops
// Content-Length, so the 1 kB threshold never applies): gzip cost more CPU than anything else in a
// 200-byte vote answer. `no-transform` opts these bodies out (small, or a base64 PNG that gzip cannot shrink).
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-transform", ...headers },
  });
}

export function jsonError(
  status: number,
  message: string,
  details?: unknown,
  headers?: Record<string, string>,
): Response {
  const body: TErrorBody = details === undefined ? { error: message } : { error: message, details };
  return json(body, status, headers);
}

// Throw from a handler to answer with a clear 4xx/5xx; withRole turns it into jsonError.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const MAX_JSON_BYTES = 64 * 1024;

// Body -> validated value, or an HttpError(400/413/415) that names what is wrong.
export async function parseJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const type = req.headers.get("content-type") ?? "";
  if (type && !type.includes("application/json"))
    throw new HttpError(415, "Content-Type must be application/json");
  const text = await req.text();
  if (text.length > MAX_JSON_BYTES) throw new HttpError(413, `JSON body larger than ${MAX_JSON_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HttpError(400, "Malformed JSON body");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    const first = details[0];
    throw new HttpError(
      400,
      `Invalid body: ${first ? `${first.path || "(root)"}: ${first.message}` : "rejected"}`,
      details,
    );
  }
  return parsed.data;
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01",
  "57P02",
  "57P03",
  "P1001",
  "P1002",
  "P1017",
  "P2024",
  // Interactive transaction expired or could not start (pool exhausted under load): retryable, not a bug.
  "P2028",
]);
const UNAVAILABLE_TEXT =
  /connection terminated|terminating connection|timeout exceeded when trying to connect|can't reach database|connect ECONNREFUSED|Connection refused|server closed the connection|the database system is (starting up|shutting down|in recovery mode)|Code: `(57P0[1-3]|08\d{3})`/i;

// Postgres down or restarting: 503, the caller retries later (votes with the same requestId, since a write
// may have landed just before the connection died). Prisma with a
// driver adapter nests the pg error under meta.driverAdapterError (its cause has originalCode), so look
// through cause and meta both.
export function isDatabaseUnavailable(error: unknown): boolean {
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length && seen < 12; seen++) {
    const e = queue.shift();
    if (!e || typeof e !== "object") continue;
    const rec = e as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      originalCode?: unknown;
      meta?: unknown;
    };
    for (const code of [rec.code, rec.originalCode]) {
      if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || /^08\d{3}$/.test(code))) return true;
    }
    if (typeof rec.message === "string" && UNAVAILABLE_TEXT.test(rec.message)) return true;
    queue.push(rec.cause, (rec.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError);
  }
  return false;
}

export function errorToResponse(error: unknown): Response {
  if (error instanceof HttpError) return jsonError(error.status, error.message, error.details);
  if ((error as { name?: string })?.name === "QueueUnavailableError") {
    return jsonError(503, "Job queue unavailable (Redis is down); try again shortly", undefined, {
      "Retry-After": "5",
    });
  }
  if (isDatabaseUnavailable(error)) {
    return jsonError(503, "Database unavailable; try again shortly", undefined, { "Retry-After": "2" });
  }
  console.error("[web] unhandled route error", error);
  return jsonError(500, "Internal error");
}
