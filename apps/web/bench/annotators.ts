// Simulated annotators: each signs in through next-auth's credentials flow (csrf + callback, argon2 on the
// server), then votes in a tight loop until the deadline. Every request is timed; every 2xx ack is kept so
// the database can be checked against it afterwards.
import { randomUUID } from "node:crypto";
import { signInCookie } from "@concord/web-runner";
import { FERPLUS } from "./seed";

export type TMode = "flow" | "vote";

export type TEndpointStats = { latencies: number[]; statuses: Map<string, number> };
export type TLoadResult = {
  endpoints: Record<"next" | "vote" | "retry", TEndpointStats>;
  acked: Map<string, string>; // requestId -> vote id, for every 2xx answer to POST /api/votes
  created: number; // 201 answers
  replayMismatches: number; // a retried requestId answered with another vote id, or not 200
  exhausted: number; // annotators who ran out of images before the deadline
  wallMs: number;
};

const REQUEST_TIMEOUT_MS = 15_000;

function emptyStats(): TEndpointStats {
  return { latencies: [], statuses: new Map() };
}

async function timed(
  stats: TEndpointStats,
  url: string,
  init: RequestInit,
): Promise<{ status: number; body: unknown }> {
  const t0 = performance.now();
  let status = 0;
  let body: unknown = null;
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    status = res.status;
    body = await res.json().catch(() => null);
  } catch (error) {
    const name = (error as Error).name === "TimeoutError" ? "timeout" : "network";
    stats.statuses.set(name, (stats.statuses.get(name) ?? 0) + 1);
    stats.latencies.push(performance.now() - t0);
    return { status: 0, body: null };
  }
  stats.latencies.push(performance.now() - t0);
  stats.statuses.set(String(status), (stats.statuses.get(String(status)) ?? 0) + 1);
  return { status, body };
}

export async function signInAll(
  baseUrl: string,
  emails: string[],
  password: string,
  parallel = 8,
): Promise<{ cookies: string[]; ms: number }> {
  const t0 = performance.now();
  const cookies: string[] = new Array(emails.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < emails.length) {
        const i = next++;
        cookies[i] = await signInCookie(baseUrl, emails[i]!, password);
      }
    }),
  );
  return { cookies, ms: performance.now() - t0 };
}

// Mostly agreeing crowd: 80% pick the image's "true" class (a hash of its id), 20% any class, so the
// dynamic-overlap rule closes images after a few votes as it would with real people.
export function labelFor(imageId: string): string {
  let h = 0;
  for (const ch of imageId) h = (h * 31 + ch.charCodeAt(0)) | 0;
  const k = Math.random() < 0.8 ? Math.abs(h) % 8 : Math.floor(Math.random() * FERPLUS.length);
  return FERPLUS[k]!;
}

export async function runLoad(options: {
  baseUrl: string;
  cookies: string[];
  mode: TMode;
  seconds: number;
  imageIds: string[]; // vote mode: annotator k votes on imageIds[k], imageIds[k + N], …
  retryEvery: number; // every n-th vote is sent twice with the same requestId (a client retry)
  maxVotesPerAnnotator: number;
}): Promise<TLoadResult> {
  const { baseUrl, cookies, mode } = options;
  const result: TLoadResult = {
    endpoints: { next: emptyStats(), vote: emptyStats(), retry: emptyStats() },
    acked: new Map(),
    created: 0,
    replayMismatches: 0,
    exhausted: 0,
    wallMs: 0,
  };
  const t0 = performance.now();
  const deadline = Date.now() + options.seconds * 1000;
  const n = cookies.length;
  await Promise.all(
    cookies.map(async (cookie, k) => {
      const headers = { cookie, "content-type": "application/json" };
      for (let i = 0; i < options.maxVotesPerAnnotator && Date.now() < deadline; i++) {
        let imageId: string | undefined;
        if (mode === "flow") {
          const next = await timed(result.endpoints.next, `${baseUrl}/api/tasks/next`, {
            headers: { cookie },
          });
          if (next.status !== 200) continue;
          imageId = (next.body as { task: { imageId: string } | null }).task?.imageId;
        } else {
          imageId = options.imageIds[k + i * n];
        }
        if (!imageId) {
          result.exhausted++;
          return;
        }
        const requestId = randomUUID();
        const body = JSON.stringify({ imageId, label: labelFor(imageId), requestId, durationMs: 900 });
        const vote = await timed(result.endpoints.vote, `${baseUrl}/api/votes`, {
          method: "POST",
          headers,
          body,
        });
        if (vote.status < 200 || vote.status >= 300) continue;
        const voteId = (vote.body as { vote: { id: string } }).vote.id;
        result.acked.set(requestId, voteId);
        if (vote.status === 201) result.created++;
        if (options.retryEvery > 0 && i % options.retryEvery === options.retryEvery - 1) {
          const again = await timed(result.endpoints.retry, `${baseUrl}/api/votes`, {
            method: "POST",
            headers,
            body,
          });
          const againId = (again.body as { vote?: { id: string } } | null)?.vote?.id;
          if (again.status !== 200 || againId !== voteId) result.replayMismatches++;
        }
      }
    }),
  );
  result.wallMs = performance.now() - t0;
  return result;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// 5xx answers and client-side failures (timeouts, network errors) over summarized endpoints.
export function countErrors(summaries: { statuses: Record<string, number> }[]): {
  http5xx: number;
  clientErrors: number;
} {
  let http5xx = 0;
  let clientErrors = 0;
  for (const s of summaries)
    for (const [code, count] of Object.entries(s.statuses)) {
      if (code.startsWith("5")) http5xx += count;
      if (code === "timeout" || code === "network") clientErrors += count;
    }
  return { http5xx, clientErrors };
}

export function summarize(stats: TEndpointStats): {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
} {
  const sorted = [...stats.latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    statuses: Object.fromEntries(stats.statuses),
  };
}
