// Where a vote's cost goes: CPU seconds of the web server (process tree), of the Postgres backends serving
// the bench database and of this client, plus Postgres' own counters (transactions, rows) per vote; and,
// with --cpu-prof, the web server's V8 profile folded into module groups (self time).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

const TICKS = 100; // USER_HZ on Linux

function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS; // utime + stime
  } catch {
    return 0;
  }
}

// CPU time (ms) of a process and all its descendants.
export function treeCpuMs(root: number): number {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {}
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    total += procCpuMs(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

// CPU time (ms) the whole machine spent working (every core, every process): /proc/stat's user, nice,
// system, irq and softirq. Minus what the bench's own processes used, it is the load of everyone else.
export function machineBusyMs(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0)) * 1000) / TICKS;
}

export type TDbCounters = {
  xacts: number;
  fetched: number;
  returned: number;
  inserted: number;
  deleted: number;
  backendCpuMs: number;
  walBytes: number;
  walFpi: number;
  walSyncs: number;
  walSyncMs: number;
  checkpoints: number;
  buffersWritten: number;
};

// The CPU of the bench database's backends over a window, those that start or exit inside it included: the
// web's pool closes connections idle for 10 s, and with group commit most of them are idle at a time, so a sum
// over the backends alive at both ends lost (and even subtracted) the CPU of those that left. Polled every
// second (the last second of a backend that exits is lost: a lower bound, within about a second of one
// backend's CPU); a backend first seen after the start began inside the window, all of its CPU counts.
export class BackendCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: pg.Client,
    private readonly name: string,
  ) {}

  static async start(databaseUrl: string): Promise<BackendCpu> {
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on("error", () => {});
    await c.connect();
    const t = new BackendCpu(c, new URL(databaseUrl).pathname.slice(1));
    await t.poll(true);
    t.timer = setInterval(() => {
      t.polling = t.polling.then(() => t.poll(false)).catch(() => {});
    }, 1000);
    return t;
  }

  private async poll(initial: boolean) {
    const pids = (
      await this.client.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [this.name],
      )
    ).rows.map((r) => Number(r.pid));
    for (const pid of pids) {
      const ms = procCpuMs(pid);
      if (!this.first.has(pid)) this.first.set(pid, initial ? ms : 0);
      this.last.set(pid, ms);
    }
  }

  // Stops polling; the CPU ms of the window.
  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.polling;
    await this.poll(false).catch(() => {});
    await this.client.end().catch(() => {});
    let total = 0;
    for (const [pid, ms] of this.last) total += ms - (this.first.get(pid) ?? 0);
    return total;
  }
}

// Server-wide WAL and checkpoint counters (every database of the server: the bench's is the only busy one):
// a step's WAL per vote, its full-page images (the first change of a page after a checkpoint logs the whole
// page), its WAL flushes, and whether a checkpoint ran inside the window (its writes and fsyncs are the usual
// cause of a latency stall with the CPU idle).
async function walCounters(c: pg.Client) {
  const w = (
    await c.query(
      "SELECT wal_bytes::float8 AS b, wal_fpi AS fpi, wal_sync AS syncs, wal_sync_time AS sync_ms FROM pg_stat_wal",
    )
  ).rows[0];
  const b = (
    await c.query(
      "SELECT checkpoints_timed + checkpoints_req AS n, buffers_checkpoint + buffers_backend + buffers_clean AS written FROM pg_stat_bgwriter",
    )
  ).rows[0];
  return {
    walBytes: Number(w.b),
    walFpi: Number(w.fpi),
    walSyncs: Number(w.syncs),
    walSyncMs: Number(w.sync_ms), // 0 unless track_wal_io_timing is on
    checkpoints: Number(b.n),
    buffersWritten: Number(b.written),
  };
}

// Postgres' view of the bench database: commits, rows read/written, the CPU of its backends, and the server's
// WAL and checkpoint counters.
export async function dbCounters(databaseUrl: string): Promise<TDbCounters> {
  const c = new pg.Client({ connectionString: databaseUrl });
  c.on("error", () => {});
  await c.connect();
  try {
    const name = new URL(databaseUrl).pathname.slice(1);
    const s = (
      await c.query(
        `SELECT xact_commit + xact_rollback AS x, tup_fetched AS f, tup_returned AS r, tup_inserted AS i, tup_deleted AS d
         FROM pg_stat_database WHERE datname = $1`,
        [name],
      )
    ).rows[0];
    const pids = (
      await c.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name])
    ).rows;
    const backendCpuMs = pids.reduce((sum, r) => sum + procCpuMs(Number(r.pid)), 0);
    return {
      xacts: Number(s.x),
      fetched: Number(s.f),
      returned: Number(s.r),
      inserted: Number(s.i),
      deleted: Number(s.d),
      backendCpuMs,
      ...(await walCounters(c)),
    };
  } finally {
    await c.end();
  }
}

type TProfileNode = { id: number; callFrame: { url: string; functionName: string }; hitCount?: number };
type TProfile = { nodes: TProfileNode[]; samples: number[]; timeDeltas: number[] };

const GROUPS: [string, RegExp][] = [
  ["prisma (query compiler, client)", /@prisma|prisma|query_compiler|\/generated\//i],
  ["pg driver", /node_modules\/pg|pg-protocol|pg-pool/],
  ["next-auth + jose (session JWT)", /node_modules\/(next-auth|jose|openid-client|oauth)/],
  ["zod", /node_modules\/zod/],
  ["react (node_modules)", /node_modules\/react/],
  ["next.js (node_modules/next)", /node_modules\/next\//],
  // Webpack bundles: route code plus whatever next bundled into it (next-auth, jose, react-server, zod…).
  ["bundled route code (.next/server)", /\.next\/server/],
  ["node internals", /^node:|^internal\//],
];

// Self time of a --cpu-prof file, by module group, as fractions of the non-idle samples.
export function foldProfile(dir: string): { group: string; share: number }[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  const totals = new Map<string, number>();
  let all = 0;
  for (const file of files) {
    const p = JSON.parse(readFileSync(join(dir, file), "utf8")) as TProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const node = byId.get(id);
      const dt = p.timeDeltas[i] ?? 0;
      if (!node || node.callFrame.functionName === "(idle)" || node.callFrame.functionName === "(program)")
        return;
      const url = node.callFrame.url;
      const group =
        node.callFrame.functionName === "(garbage collector)"
          ? "garbage collector"
          : (GROUPS.find(([, re]) => re.test(url))?.[0] ?? (url ? "other js" : "native / builtins"));
      totals.set(group, (totals.get(group) ?? 0) + dt);
      all += dt;
    });
  }
  return [...totals.entries()]
    .map(([group, t]) => ({ group, share: t / all }))
    .sort((a, b) => b.share - a.share);
}
