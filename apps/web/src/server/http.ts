// JSON errors and request parsing shared by every route handler. Pure (no server-only): unit-tested.
import type { z } from "zod";

export type TErrorBody = { error: string; details?: unknown };

// A JSON answer before it is a Response: what the hot routes' bodies return, so that apps/web/server.mjs can
// write it to node:http as is (no Response, no web stream; see guards.ts sessionRoute) while Next gets the
// same answer as a Response (toResponse).
export type TJsonAnswer = { status: number; text: string; headers: Record<string, string> };

// JSON serialised once. Next's gzip middleware compresses every streamed route-handler body (it drops
// Content-Length, so the 1 kB threshold never applies): gzip cost more CPU than anything else in a
// 200-byte vote answer. `no-transform` opts these bodies out (small, or a base64 PNG that gzip cannot shrink).
// Header names in lower case, so that one given here replaces the default of the same name.
export function jsonAnswer(body: unknown, status = 200, headers?: Record<string, string>): TJsonAnswer {
  const head: Record<string, string> = {
    "content-type": "application/json",
    "cache-control": "no-transform",
  };
  if (headers) for (const name in headers) head[name.toLowerCase()] = headers[name]!;
  return { status, text: JSON.stringify(body), headers: head };
}

export function toResponse(answer: TJsonAnswer): Response {
  return new Response(answer.text, { status: answer.status, headers: answer.headers });
}

export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return toResponse(jsonAnswer(body, status, headers));
}

export function jsonErrorAnswer(
  status: number,
  message: string,
  details?: unknown,
  headers?: Record<string, string>,
): TJsonAnswer {
  const body: TErrorBody = details === undefined ? { error: message } : { error: message, details };
  return jsonAnswer(body, status, headers);
}

export function jsonError(
  status: number,
  message: string,
  details?: unknown,
  headers?: Record<string, string>,
): Response {
  return toResponse(jsonErrorAnswer(status, message, details, headers));
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

// A refused input: the field (a body key path such as "epochs" or "config.lr", a query parameter, or "body"
// for the body as a whole) and a message that starts with that field's name.
export type TFieldError = { field: string; message: string };

// The details of every 400 for a bad body or query parameter, one shape for every form to read, e.g.
//   error: "epochs: <= 500",
//   details: { field: "epochs", issues: [{ field: "epochs", message: "epochs: <= 500" }] }
// error and field are the first issue's; issues lists all of them.
export type TInvalidInput = { field: string; issues: TFieldError[] };

const BODY = "body";
const UNNAMED: TFieldError = { field: BODY, message: `${BODY}: invalid input` };

// Schemas shared with the forms already write "epochs: <= 500"; zod's own messages ("Invalid input:
// expected number, received string") and the server's checks get the field put in front.
function named(field: string, message: string): TFieldError {
  return { field, message: message.startsWith(`${field}:`) ? message : `${field}: ${message}` };
}

function fieldErrors(error: z.ZodError): TFieldError[] {
  return error.issues.map((i) => named(i.path.map(String).join(".") || BODY, i.message));
}

// Throw from a handler (or anything it calls) to refuse an input; withRole answers with the one shape.
// status: 400, or 413 for a field that is too large.
export function invalidInput(issues: readonly TFieldError[], status = 400): HttpError {
  const list = issues.length > 0 ? [...issues] : [UNNAMED];
  const details: TInvalidInput = { field: list[0]!.field, issues: list };
  return new HttpError(status, list[0]!.message, details);
}

export function fieldError(field: string, message: string, status = 400): HttpError {
  return invalidInput([named(field, message)], status);
}

export const MAX_JSON_BYTES = 64 * 1024;

// The one JSON body parser of every route: body -> validated value, or an HttpError that names what is
// wrong (415 not JSON, 413 too large, 400 malformed or refused by the schema, in the TInvalidInput shape).
// req: a Request, or anything that reads its headers and body the same way (guards.ts TRouteRequest).
export type TBodyRequest = { headers: { get(name: string): string | null }; text(): Promise<string> };

export async function parseJson<S extends z.ZodType>(req: TBodyRequest, schema: S): Promise<z.infer<S>> {
  const type = req.headers.get("content-type") ?? "";
  if (type && !type.includes("application/json"))
    throw new HttpError(415, "Content-Type must be application/json");
  const text = await req.text();
  if (text.length > MAX_JSON_BYTES) throw new HttpError(413, `JSON body larger than ${MAX_JSON_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw fieldError(BODY, "malformed JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidInput(fieldErrors(parsed.error));
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

// Redis down while launching work: 503 with a message the form shows as is; nothing was created.
export function queueUnavailable(what: string): Response {
  return jsonError(503, `Queue unavailable, try again in a moment: ${what}`, undefined, {
    "Retry-After": "5",
  });
}

export function errorToAnswer(error: unknown): TJsonAnswer {
  if (error instanceof HttpError) return jsonErrorAnswer(error.status, error.message, error.details);
  if ((error as { name?: string })?.name === "QueueUnavailableError") {
    return jsonErrorAnswer(503, "Job queue unavailable (Redis is down); try again shortly", undefined, {
      "Retry-After": "5",
    });
  }
  if (isDatabaseUnavailable(error)) {
    return jsonErrorAnswer(503, "Database unavailable; try again shortly", undefined, { "Retry-After": "2" });
  }
  console.error("[web] unhandled route error", error);
  return jsonErrorAnswer(500, "Internal error");
}

export function errorToResponse(error: unknown): Response {
  return toResponse(errorToAnswer(error));
}
