// The error body of every route handler (server/http.ts), read one way by every client form.
import type { TErrorBody, TInvalidInput } from "@/server/http";

export type TApiError = { message: string; field?: string };

// A failed response's parsed body -> the message to show and, for a refused input (400 naming a field),
// the field to show it next to. `what` names the request when the body carries no message.
export function toApiError(status: number, body: unknown, what = "Request"): TApiError {
  const { error, details } = (body ?? {}) as Partial<TErrorBody>;
  const field = (details as Partial<TInvalidInput> | undefined)?.field;
  return {
    message: typeof error === "string" ? error : `${what} failed (${status})`,
    ...(typeof field === "string" ? { field } : {}),
  };
}
