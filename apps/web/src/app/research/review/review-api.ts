// The review page's calls to the action routes (browser side): null on success, else the message to show.
import { toApiError } from "@/lib/api-error";
import type { TImageActionBody } from "@/server/review/action-form";

async function send(url: string, body?: unknown): Promise<string | null> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch(() => null);
  if (!res) return "Network error: nothing was changed";
  if (res.ok) return null;
  return toApiError(res.status, await res.json().catch(() => null), "Action").message;
}

export const postImageAction = (body: TImageActionBody) => send("/api/images/actions", body);

export const revokeImageAction = (actionId: string) =>
  send(`/api/images/actions/${encodeURIComponent(actionId)}/revoke`);
