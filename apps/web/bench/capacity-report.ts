// The open-loop ramp's figures: one step's summary from its recorder, its printed line, and the table.
import { countErrors, percentile, summarize } from "./annotators";
import type { TClientKind } from "./http-client";
import type { TCall, TPageLoop, TRecorder } from "./page-loop";
import { type TVerdict, verdictOk } from "./verify";

type TLatency = ReturnType<typeof summarize>;
// xacts: the bench database's transactions (commits and rollbacks; votes share one under group commit).
type TWal = { bytes: number; fpi: number; syncs: number; syncMs: number; xacts: number };

export function bySecond(starts: number[], latencies: number[], seconds: number) {
  const buckets = Array.from({ length: seconds }, () => [] as number[]);
  for (const [i, t] of starts.entries())
    buckets[Math.min(seconds - 1, Math.max(0, Math.floor(t / 1000)))]?.push(latencies[i] ?? Number.NaN);
  return buckets.map((b, second) => {
    const sorted = b.sort((x, y) => x - y);
    return { second, n: sorted.length, p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
  });
}

export type TStep = {
  n: number;
  loop: TPageLoop;
  client: TClientKind;
  seconds: number;
  offeredPerS: number; // key presses per second
  servedPerS: number; // 2xx vote answers per second
  calls: Record<TCall, TLatency>;
  faceWait: { p50: number; p99: number; waitedShare: number }; // key press -> next face on screen
  http5xx: number;
  clientErrors: number; // timeouts and network errors
  exhausted: number;
  paused: number;
  verdict: TVerdict;
  integrity: boolean; // every ack a row with its id, no duplicate, no row unacked but for votes given up
  cores: { web: number; postgres: number; client: number; others: number };
  cpuPerVoteMs: { web: number; postgres: number; client: number };
  // The vote's latency second by second of the window: a stall (a few seconds far above the rest, the CPU
  // idle) reads differently from a queue (every second slow).
  voteBySecond: { second: number; n: number; p99: number; max: number }[];
  slowSeconds: number; // seconds of the window whose vote p99 reached the limit
  wal: TWal & { checkpoints: number; buffersWritten: number };
  load: number[];
  drainMs: number;
  ok: boolean;
  why: string[]; // why the step failed
};

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "-");
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "-");

export function summarizeStep(o: {
  n: number;
  loop: TPageLoop;
  client: TClientKind;
  seconds: number;
  recorder: TRecorder;
  verdict: TVerdict;
  cpu: { webMs: number; pgMs: number; clientMs: number; machineMs: number };
  wal: TWal & { checkpoints: number; buffersWritten: number };
  load: number[];
  drainMs: number;
  p99LimitMs: number;
}): TStep {
  const r = o.recorder;
  const calls = { next: summarize(r.calls.next), vote: summarize(r.calls.vote) };
  const { http5xx, clientErrors } = countErrors(Object.values(calls));
  const waits = [...r.faceWaits].sort((a, b) => a - b);
  const windowMs = o.seconds * 1000;
  const votes = Math.max(1, r.acks);
  const v = o.verdict;
  // A row nobody acknowledged is allowed only for a vote whose every attempt failed on the client side (it
  // may have been written after the client stopped waiting); then accepted < rows by as many.
  const integrity = verdictOk(v) && v.unackedRows <= r.givenUp.votes && v.acked + v.unackedRows === v.rows;
  const voteBySecond = bySecond(r.voteStarts, r.calls.vote.latencies, o.seconds);
  const why: string[] = [];
  for (const [name, c] of Object.entries(calls))
    if (c.n > 0 && !(c.p99 < o.p99LimitMs)) why.push(`${name} p99 ${f0(c.p99)} ms`);
  if (http5xx) why.push(`${http5xx} x 5xx`);
  if (clientErrors) why.push(`${clientErrors} client timeouts/network errors`);
  if (!integrity) why.push("Postgres check failed");
  if (r.exhausted) why.push(`${r.exhausted} pages ran out of faces`);
  if (r.paused) why.push(`${r.paused} pages paused`);
  return {
    n: o.n,
    loop: o.loop,
    client: o.client,
    seconds: o.seconds,
    offeredPerS: r.presses / o.seconds,
    servedPerS: r.acks / o.seconds,
    calls,
    faceWait: {
      p50: percentile(waits, 50),
      p99: percentile(waits, 99),
      waitedShare: waits.filter((w) => w > 1).length / Math.max(1, waits.length),
    },
    http5xx,
    clientErrors,
    exhausted: r.exhausted,
    paused: r.paused,
    verdict: v,
    integrity,
    cores: {
      web: o.cpu.webMs / windowMs,
      postgres: o.cpu.pgMs / windowMs,
      client: o.cpu.clientMs / windowMs,
      others: Math.max(0, o.cpu.machineMs - o.cpu.webMs - o.cpu.pgMs - o.cpu.clientMs) / windowMs,
    },
    cpuPerVoteMs: { web: o.cpu.webMs / votes, postgres: o.cpu.pgMs / votes, client: o.cpu.clientMs / votes },
    voteBySecond,
    slowSeconds: voteBySecond.filter((b) => b.n > 0 && b.p99 >= o.p99LimitMs).length,
    wal: o.wal,
    load: o.load,
    drainMs: o.drainMs,
    ok: why.length === 0,
    why,
  };
}

const callLabel: Record<TCall, string> = {
  next: "GET /api/tasks/next",
  vote: "POST /api/votes",
};

export function printStep(s: TStep, log: (m: string) => void) {
  log(
    `-- ${s.n} annotators, ${s.loop} loop, ${s.client} client, ${s.seconds} s measured: votes/s offered ${f1(s.offeredPerS)}, served ${f1(s.servedPerS)}`,
  );
  for (const [name, c] of Object.entries(s.calls) as [TCall, TStep["calls"][TCall]][])
    log(
      `  ${callLabel[name].padEnd(20)} n=${String(c.n).padStart(6)}  p50 ${f1(c.p50)}  p95 ${f1(c.p95)}  p99 ${f1(c.p99)}  max ${f1(c.max)} ms  ${JSON.stringify(c.statuses)}`,
    );
  log(
    `  key press -> next face: p50 ${f1(s.faceWait.p50)} ms, p99 ${f1(s.faceWait.p99)} ms; ${(s.faceWait.waitedShare * 100).toFixed(2)}% of presses found no face prefetched`,
  );
  const v = s.verdict;
  log(
    `  Postgres check (whole run so far): accepted ${v.acked}, rows ${v.rows}, missing ${v.ackedMissing}, wrong id ${v.ackedWrongId}, ` +
      `unacked rows ${v.unackedRows}, duplicate (image, annotator) ${v.duplicatePairs}, duplicate requestId ${v.duplicateRequestIds}, over maxVotes ${v.overMaxVotes}: ${s.integrity ? "OK" : "FAILED"}`,
  );
  const c = s.cores;
  const pv = s.cpuPerVoteMs;
  log(
    `  CPU (cores): web ${f2(c.web)}, postgres ${f2(c.postgres)}, bench client ${f2(c.client)}, everyone else ${f2(c.others)}; ` +
      `per vote ms: web ${f2(pv.web)}, postgres ${f2(pv.postgres)}, client ${f2(pv.client)}; load average ${s.load.map(f1).join(" ")}; drained in ${f0(s.drainMs)} ms`,
  );
  const worst = [...s.voteBySecond]
    .filter((b) => b.n > 0)
    .sort((a, b) => b.p99 - a.p99)
    .slice(0, 3);
  log(
    `  vote p99 by second of the window: ${s.slowSeconds} of ${s.seconds} s at or over the limit; worst ${worst
      .map((b) => `+${b.second} s ${f1(b.p99)} ms (max ${f1(b.max)}, n ${b.n})`)
      .join(", ")}`,
  );
  const votes = Math.max(1, s.servedPerS * s.seconds);
  log(
    `  Postgres (whole server): WAL ${f2(s.wal.bytes / votes / 1024)} kB per vote (${f2(s.wal.fpi / votes)} full-page images), ` +
      `${f0(s.wal.syncs / s.seconds)} WAL flushes/s${s.wal.syncMs > 0 ? ` (${f2(s.wal.syncMs / Math.max(1, s.wal.syncs))} ms each, ${f0((s.wal.syncMs / (s.seconds * 1000)) * 100)}% of the time flushing)` : ""}, ${s.wal.checkpoints} checkpoint(s) ended in the window, ${s.wal.buffersWritten} buffers written; ${f2(s.wal.xacts / votes)} transactions of the database per vote`,
  );
  log(`  step: ${s.ok ? "PASS" : `FAIL (${s.why.join("; ")})`}`);
}

export function printSummary(steps: TStep[], log: (m: string) => void, limitMs: number) {
  log(
    "\n  N     offered/s served/s  next p50/p95/p99 ms    vote p50/p95/p99 ms    5xx err  accepted=rows dup  cores web/pg/cli/others  cli ms/vote  load1  result",
  );
  for (const s of steps) {
    const lat = (c: TLatency) =>
      c.n ? `${f1(c.p50)}/${f1(c.p95)}/${f1(c.p99)}`.padEnd(22) : "(none)".padEnd(22);
    const v = s.verdict;
    log(
      `  ${String(s.n).padEnd(5)} ${f1(s.offeredPerS).padStart(9)} ${f1(s.servedPerS).padStart(8)}  ${lat(s.calls.next)} ${lat(s.calls.vote)} ` +
        `${String(s.http5xx).padStart(3)} ${String(s.clientErrors).padStart(4)}  ${v.acked === v.rows ? "yes" : "NO "} ${String(v.acked).padStart(7)} ${String(v.duplicatePairs + v.duplicateRequestIds).padStart(3)}  ` +
        `${[s.cores.web, s.cores.postgres, s.cores.client, s.cores.others].map(f2).join("/")}  ${f2(s.cpuPerVoteMs.client).padStart(11)}  ${f1(s.load[0]!).padStart(5)}  ${s.ok ? "PASS" : "FAIL"}`,
    );
  }
  const best = steps.filter((s, i) => s.ok && steps.slice(0, i).every((p) => p.ok)).at(-1);
  log(
    best
      ? `\nbench: largest N with p99 < ${limitMs} ms for every call (and no error): ${best.n} annotators (${f1(best.servedPerS)} votes/s)`
      : `\nbench: no step had p99 < ${limitMs} ms for every call without errors`,
  );
}
