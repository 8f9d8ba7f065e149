// The hot routes from node:http (apps/web/server.mjs): a TRouteRequest read from the IncomingMessage, and the
// route's TJsonAnswer written back in one piece with its Content-Length. No NextRequest, no Response, no web
// streams, no compression (small JSON, or a face as a PNG data URL that gzip cannot shrink). The route itself
// is the one Next serves too (guards.ts sessionRoute).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TRouteRequest } from "./guards";
import { MAX_JSON_BYTES, type TJsonAnswer } from "./http";

// As Next's request cookies (@edge-runtime/cookies parseCookie): "; "-separated pairs, values URI-decoded
// (a pair that does not decode is dropped), a later pair of the same name wins. A null-prototype object: a
// cookie may be called "__proto__".
export function parseCookieHeader(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null);
  if (!header) return cookies;
  for (const pair of header.split(/; */)) {
    if (!pair) continue;
    const at = pair.indexOf("=");
    if (at === -1) {
      cookies[pair] = "true";
      continue;
    }
    try {
      cookies[pair.slice(0, at)] = decodeURIComponent(pair.slice(at + 1));
    } catch {}
  }
  return cookies;
}

// Keeps at most MAX_JSON_BYTES + one chunk of the body: past that, the rest is read and dropped (the connection
// stays usable for the answer), and the kept prefix, already over the limit, makes parseJson answer 413. A
// client cannot make the server hold a body of any size.
async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    if (size > MAX_JSON_BYTES) continue;
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
}

export function nodeRouteRequest(req: IncomingMessage): TRouteRequest {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  let body: Promise<string> | undefined;
  return {
    method: req.method ?? "GET",
    // node:http keeps header names in lower case and joins repeated ones as Headers.get does (", "; cookies
    // "; "); Headers.get names are case-insensitive.
    headers: {
      get(name) {
        const value = req.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    cookies: parseCookieHeader(req.headers.cookie),
    searchParams: new URLSearchParams(q < 0 ? "" : url.slice(q + 1)),
    text: () => {
      body ??= readText(req);
      return body;
    },
  };
}

export function writeAnswer(res: ServerResponse, answer: TJsonAnswer): void {
  res.writeHead(answer.status, { ...answer.headers, "content-length": Buffer.byteLength(answer.text) });
  res.end(answer.text);
}

// A request that leaves its body unread (a GET, a refusal before parsing) is drained by node:http itself
// before the connection's next request.
export async function serveNode(
  route: (req: TRouteRequest) => Promise<TJsonAnswer>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  writeAnswer(res, await route(nodeRouteRequest(req)));
}
