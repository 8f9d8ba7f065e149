// Annotators voting against a given server while something breaks: every request is logged with its time,
// status and latency; 2xx votes are kept as acknowledged, failed ones are kept to be retried (same requestId).
import { randomUUID } from "node:crypto";

export type TLogged = {
  at: number;
  kind: "next" | "vote";
  status: number | "timeout" | "network";
  ms: number;
  error?: string;
  retryAfter?: string | null;
};
export type TVoteBody = { imageId: string; label: string; requestId: string };
export type TPending = TVoteBody & { cookie: string };

export class VoterPool {
  readonly log: TLogged[] = [];
  readonly acked = new Map<string, string>(); // requestId -> vote id
  readonly unanswered: TPending[] = []; // votes that got no 2xx: the client retries them later
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly cookies: string[],
    private readonly timeoutMs = 15_000,
    private readonly pauseMs = 50,
  ) {}

  private async call(kind: TLogged["kind"], cookie: string, init: RequestInit, path: string) {
    const t0 = performance.now();
    const at = Date.now();
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        ...init,
        headers: { cookie, "content-type": "application/json" },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
      this.log.push({
        at,
        kind,
        status: res.status,
        ms: performance.now() - t0,
        error: body?.error as string | undefined,
        retryAfter: res.headers.get("retry-after"),
      });
      return { status: res.status, body };
    } catch (error) {
      const status = (error as Error).name === "TimeoutError" ? "timeout" : "network";
      this.log.push({ at, kind, status, ms: performance.now() - t0, error: String(error) });
      return { status: 0, body: null };
    }
  }

  async vote(cookie: string, body: TVoteBody): Promise<number> {
    const r = await this.call("vote", cookie, { method: "POST", body: JSON.stringify(body) }, "/api/votes");
    if (r.status >= 200 && r.status < 300)
      this.acked.set(body.requestId, (r.body as { vote: { id: string } }).vote.id);
    return r.status;
  }

  start(): void {
    this.loops = this.cookies.map(async (cookie) => {
      while (!this.stopped) {
        const next = await this.call("next", cookie, { method: "GET" }, "/api/tasks/next");
        const task = (next.body as { task?: { imageId: string; taxonomy: string[] } | null } | null)?.task;
        if (next.status === 200 && task) {
          const body = { imageId: task.imageId, label: task.taxonomy[0]!, requestId: randomUUID() };
          const status = await this.vote(cookie, body);
          if (status < 200 || status >= 300) this.unanswered.push({ ...body, cookie });
        }
        await new Promise((r) => setTimeout(r, this.pauseMs));
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}
