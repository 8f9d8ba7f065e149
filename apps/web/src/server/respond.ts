import "server-only";
import { isQueueUnavailableError } from "@concord/jobs";
import { HttpError, jsonError } from "./http";
import type { TFieldError } from "./runs/run-config";

// 400 that names the field, in the shape the forms read: { error, field }.
export function fieldError(e: TFieldError): Response {
  return jsonError(400, e.message, { field: e.field });
}

// Redis down while launching work: 503 with a message the form shows as is; nothing was created.
export function queueUnavailable(what: string): Response {
  return jsonError(503, `Queue unavailable, try again in a moment: ${what}`, undefined, {
    "Retry-After": "5",
  });
}

export async function readJsonBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.length > 64 * 1024) throw new HttpError(413, "JSON body larger than 64 KiB");
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "Malformed JSON body");
  }
}

export { isQueueUnavailableError };
