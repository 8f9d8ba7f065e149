// npm run bench:votes [-- --annotators 100,200 --seconds 60 --modes flow,vote --images 20000]
// npm run bench:votes -- --open [--annotators 100,250,500,1000,1500,2000,2500,3000 --seconds 30 --think 2 --loop carry
//   --client raw]
//   the open-loop capacity ramp at human pace: see capacity.ts.
// For each mode x N: a fresh database (seeded with N annotators and enough images), `next start` on the
// production build, N annotators sign in (next-auth) and vote as fast as the API answers for `seconds`;
// then the database is checked against every acknowledgement, and the raw INSERT peer runs on the same
// Postgres at the same concurrency. Loopback only; every phase stops by itself. Prints a table and writes
// the figures to .data/bench/votes-<time>.json. Modes: flow = GET /api/tasks/next + POST /api/votes (the
// labelling page's loop); vote = POST /api/votes alone on pre-assigned images (the write path only).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, setPriority } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import {
  buildWebIfStale,
  holdLock,
  repoRoot,
  startNext,
  type TWebServer,
  WEB_BUILD_LOCK,
} from "@concord/web-runner";
import { countErrors, runLoad, signInAll, summarize, type TMode } from "./annotators";
import { runCapacity } from "./capacity";
import { CLIENT_KINDS, type TClientKind } from "./http-client";
import type { TPageLoop } from "./page-loop";
import { rawInsertPeer } from "./peer";
import { dbCounters, foldProfile, treeCpuMs } from "./profile";
import { BENCH_PASSWORD, seedBench } from "./seed";
import { type TVerdict, verdictOk, verifyVotes } from "./verify";

const { values } = parseArgs({
  options: {
    open: { type: "boolean", default: false },
    "all-steps": { type: "boolean", default: false },
    think: { type: "string", default: "2" },
    loop: { type: "string", default: "carry" },
    // The simulated browsers' HTTP client (http-client.ts); a comma list runs each on its own database and server.
    client: { type: "string", default: "raw" },
    annotators: { type: "string", default: process.env.BENCH_ANNOTATORS },
    seconds: { type: "string", default: process.env.BENCH_SECONDS },
    modes: { type: "string", default: process.env.BENCH_MODES ?? "flow,vote" },
    images: { type: "string", default: process.env.BENCH_IMAGES },
    "peer-seconds": { type: "string", default: "15" },
    "retry-every": { type: "string", default: "20" },
    "pool-size": { type: "string", default: process.env.CONCORD_DB_POOL ?? "10" },
    "cpu-prof": { type: "boolean", default: false },
    // The dataset's stopping prior (issue 12): "model" seeds predictions and sets Dataset.stoppingPrior.
    stopping: { type: "string", default: "panel" },
  },
});
const isOpen = values.open;
const stopping = values.stopping as "panel" | "model";
const sizes = (values.annotators ?? (isOpen ? "100,250,500,1000,1500,2000,2500,3000" : "100,200"))
  .split(",")
  .map(Number);
const modes = values.modes.split(",") as TMode[];
const seconds = Number(values.seconds ?? (isOpen ? "30" : "60"));
const images = Number(values.images ?? "20000");
const poolSize = Number(values["pool-size"]);
const think = Number(values.think);
const maxAnnotators = isOpen ? 5000 : 500;
if (
  sizes.some((n) => !(Number.isInteger(n) && n >= 1 && n <= maxAnnotators)) ||
  !(seconds > 0 && seconds <= 600) ||
  !(images >= 100) ||
  !(think > 0 && think <= 60)
) {
  console.error(
    `bench: --annotators 1..${maxAnnotators} (comma list), --seconds 1..600, --images >= 100, --think 0..60 s`,
  );
  process.exit(2);
}
const loops = values.loop.split(",") as TPageLoop[];
if (loops.some((l) => l !== "carry" && l !== "split")) {
  console.error(
    'bench: --loop is a comma list of "carry" (the vote answer carries the next face) and "split" (GET + POST per face)',
  );
  process.exit(2);
}
const clients = values.client.split(",") as TClientKind[];
if (clients.some((c) => !CLIENT_KINDS.includes(c))) {
  console.error(`bench: --client is a comma list of ${CLIENT_KINDS.map((c) => `"${c}"`).join(" and ")}`);
  process.exit(2);
}
if (stopping !== "panel" && stopping !== "model") {
  console.error('bench: --stopping is "panel" or "model"');
  process.exit(2);
}
if (modes.some((m) => m !== "flow" && m !== "vote")) {
  console.error('bench: --modes is a comma list of "flow" and "vote"');
  process.exit(2);
}

const log = (m: string) => console.log(m);
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");

// Shared 2-core machine: stay below interactive work (the brief's `nice -n 5`); children inherit it.
try {
  setPriority(5);
} catch {}

let current: { web?: TWebServer; db?: TTestDatabase } = {};
async function cleanup() {
  await current.web?.stop();
  await current.db?.drop().catch(() => {});
  current = {};
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    log(`bench: ${sig}, stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}
// Bounded whatever happens, from the moment the lock is ours (waiting for others' e2e runs does not count):
// each phase gets its run time plus 4 minutes for seeding, sign-in and checks (an open-loop step 3), plus
// 10 minutes for a build.
const hardLimitMs = isOpen
  ? loops.length * clients.length * sizes.length * (seconds + 180) * 1000 + 600_000
  : sizes.length * modes.length * (seconds + 240) * 1000 + 600_000;
function armHardLimit() {
  setTimeout(() => {
    console.error(`bench: hard time limit (${hardLimitMs / 1000} s) reached, stopping`);
    void cleanup().finally(() => process.exit(3));
  }, hardLimitMs).unref();
}

type TPhase = {
  mode: TMode;
  annotators: number;
  seconds: number;
  signInMs: number;
  votesPerSecond: number;
  endpoints: Record<string, ReturnType<typeof summarize>>;
  http5xx: number;
  clientErrors: number;
  replayMismatches: number;
  exhausted: number;
  verdict: TVerdict;
  peer: Awaited<ReturnType<typeof rawInsertPeer>>;
  ratio: number;
  loadAvgAfter: number[];
  perVote: { xacts: number; rowsRead: number; webCpuMs: number; pgCpuMs: number; clientCpuMs: number };
  profile?: { group: string; share: number }[];
  soloNextP50?: number;
  integrity: boolean;
  ok: boolean;
};

async function phase(mode: TMode, n: number): Promise<TPhase> {
  log(`\n== ${mode} x ${n} annotators, ${seconds} s ==`);
  const db = await createTestDatabase("concord_bench");
  current.db = db;
  const seeded = await seedBench(db.db, { images, annotators: n, stopping });
  log(
    `bench: seeded ${seeded.imageIds.length} images, ${seeded.annotators.length} annotators, ${stopping} stopping prior`,
  );
  const profDir = join(repoRoot, ".data", "bench", `prof-${mode}-${n}-${Date.now()}`);
  if (values["cpu-prof"]) mkdirSync(profDir, { recursive: true });
  // --cpu-prof must be a node argument (NODE_OPTIONS refuses it); the profile is written when the server exits.
  const web = await startNext({
    env: { DATABASE_URL: db.url, CONCORD_DB_POOL: String(poolSize) },
    nodeArgs: values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [],
  });
  current.web = web;
  const login = await signInAll(
    web.url,
    seeded.annotators.map((a) => a.email),
    BENCH_PASSWORD,
  );
  log(`bench: ${n} sign-ins (next-auth credentials, argon2id) in ${(login.ms / 1000).toFixed(1)} s`);
  // The assignment's own cost, uncontended: one annotator, 20 sequential GET /api/tasks/next (at the start of
  // the phase, on an unvoted dataset; it grows with the votes, see the per-vote rows read of the flow).
  let soloNextP50: number | undefined;
  if (mode === "flow") {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await (
        await fetch(`${web.url}/api/tasks/next`, { headers: { cookie: login.cookies[0]! } })
      ).arrayBuffer();
      times.push(performance.now() - t0);
    }
    soloNextP50 = times.sort((a, b) => a - b)[10];
    log(`bench: uncontended GET /api/tasks/next p50 ${soloNextP50!.toFixed(1)} ms`);
  }
  if (stopping === "model") {
    // The first next-task request started the model-stopping sync (fit + per-image verdicts): load starts when
    // the model prior is in use.
    // Every open face has its verdict (the sync marks the dataset first, then writes them in batches).
    const t0 = Date.now();
    let synced = false;
    while (!synced && Date.now() - t0 < 120_000) {
      const [d, open, decided] = await Promise.all([
        db.db.dataset.findUniqueOrThrow({ where: { id: seeded.datasetId } }),
        db.db.imageTally.count({ where: { datasetId: seeded.datasetId, gold: false } }),
        db.db.imageTally.count({ where: { datasetId: seeded.datasetId, modelDone: { not: null } } }),
      ]);
      synced = d.stoppingSetId !== null && decided === open;
      if (!synced) {
        if (mode === "vote")
          await fetch(`${web.url}/api/tasks/next`, { headers: { cookie: login.cookies[0]! } });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    log(
      `bench: model prior ${synced ? "in use" : "NOT in use"} after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const c0 = await dbCounters(db.url);
  const web0 = treeCpuMs(web.child.pid as number);
  const cli0 = process.cpuUsage();
  const load = await runLoad({
    baseUrl: web.url,
    cookies: login.cookies,
    mode,
    seconds,
    imageIds: seeded.imageIds,
    retryEvery: Number(values["retry-every"]),
    maxVotesPerAnnotator: 100_000,
  });
  const loadAvgAfter = loadavg();
  const cli1 = process.cpuUsage(cli0);
  const web1 = treeCpuMs(web.child.pid as number);
  const c1 = await dbCounters(db.url);
  const votes = Math.max(1, load.created);
  const perVote = {
    xacts: (c1.xacts - c0.xacts) / votes,
    rowsRead: (c1.fetched + c1.returned - c0.fetched - c0.returned) / votes,
    webCpuMs: (web1 - web0) / votes,
    pgCpuMs: (c1.backendCpuMs - c0.backendCpuMs) / votes,
    clientCpuMs: (cli1.user + cli1.system) / 1000 / votes,
  };
  const endpoints = Object.fromEntries(
    Object.entries(load.endpoints)
      .filter(([, s]) => s.latencies.length > 0)
      .map(([k, s]) => [k, summarize(s)]),
  );
  const { http5xx, clientErrors } = countErrors(Object.values(endpoints));
  if (http5xx) {
    // The distinct error lines the server logged, with how often: the cause of the 5xx in one glance.
    const counts = new Map<string, number>();
    for (const line of web.output().split("\n"))
      if (/error|Code: `|timeout/i.test(line) && !/^\s+at /.test(line))
        counts.set(line.trim(), (counts.get(line.trim()) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
    log(
      `bench: server errors (last 50 kB of its log):\n${top.map(([l, c]) => `  ${c} x ${l.slice(0, 220)}`).join("\n")}`,
    );
  }
  await web.stop();
  current.web = undefined;
  const profile = values["cpu-prof"] ? foldProfile(profDir) : undefined;
  const verdict = await verifyVotes(db.url, load.acked);
  const votesPerSecond = load.created / (load.wallMs / 1000);
  log(`bench: raw INSERT peer, ${n} callers, pool ${poolSize}, ${values["peer-seconds"]} s…`);
  const peer = await rawInsertPeer({
    databaseUrl: db.url,
    concurrency: n,
    poolSize,
    seconds: Number(values["peer-seconds"]),
    imageIds: seeded.imageIds,
  });
  await db.drop();
  current.db = undefined;
  // Integrity: no acknowledged vote missing, nothing twice, and a row without an ack only where the client
  // gave up waiting (its request may have been written after the client stopped listening).
  const voteClientErrors = Object.entries(endpoints.vote?.statuses ?? {})
    .filter(([code]) => code === "timeout" || code === "network")
    .reduce((sum, [, c]) => sum + c, 0);
  const integrity =
    verdictOk(verdict) &&
    verdict.unackedRows <= voteClientErrors &&
    load.replayMismatches === 0 &&
    verdict.acked === load.created;
  const ok = integrity && http5xx === 0;
  return {
    mode,
    annotators: n,
    seconds,
    signInMs: Math.round(login.ms),
    votesPerSecond,
    endpoints,
    http5xx,
    clientErrors,
    replayMismatches: load.replayMismatches,
    exhausted: load.exhausted,
    verdict,
    peer,
    ratio: votesPerSecond / peer.perSecond,
    loadAvgAfter,
    perVote,
    profile,
    soloNextP50,
    integrity,
    ok,
  };
}

function print(p: TPhase) {
  const v = p.verdict;
  log(`\n-- ${p.mode} x ${p.annotators} annotators (${p.seconds} s) --`);
  log(
    `votes/s (201 acks / wall): ${f1(p.votesPerSecond)}   raw INSERT/s: ${f1(p.peer.perSecond)}   ratio: ${p.ratio.toFixed(2)}x`,
  );
  for (const [name, s] of Object.entries(p.endpoints)) {
    const label = { next: "GET /api/tasks/next", vote: "POST /api/votes", retry: "POST /api/votes (retry)" }[
      name
    ];
    log(
      `  ${label?.padEnd(26)} n=${String(s.n).padStart(6)}  p50 ${f1(s.p50)} ms  p95 ${f1(s.p95)} ms  p99 ${f1(s.p99)} ms  max ${f1(s.max)} ms  statuses ${JSON.stringify(s.statuses)}`,
    );
  }
  log(
    `  raw INSERT peer: ${p.peer.inserts} rows, p50 ${f1(p.peer.p50)} ms, p99 ${f1(p.peer.p99)} ms, errors ${p.peer.errors}`,
  );
  log(
    `  Postgres check: acked ${v.acked}, rows ${v.rows}, missing ${v.ackedMissing}, wrong id ${v.ackedWrongId}, ` +
      `unacked rows ${v.unackedRows}, duplicate (image, annotator) ${v.duplicatePairs}, duplicate requestId ${v.duplicateRequestIds}, ` +
      `images over maxVotes ${v.overMaxVotes}`,
  );
  log(
    `  5xx ${p.http5xx}, client timeouts/network errors ${p.clientErrors}, retry mismatches ${p.replayMismatches}, ` +
      `annotators out of images ${p.exhausted}, load average after ${p.loadAvgAfter.map((x) => x.toFixed(1)).join(" ")}`,
  );
  const pv = p.perVote;
  log(
    `  per vote: ${pv.xacts.toFixed(1)} Postgres transactions, ${pv.rowsRead.toFixed(0)} rows read; CPU ms: web ${pv.webCpuMs.toFixed(2)}, ` +
      `postgres ${pv.pgCpuMs >= 0 ? pv.pgCpuMs.toFixed(2) : "n/a (backends replaced)"}, bench client ${pv.clientCpuMs.toFixed(2)}`,
  );
  if (p.profile)
    log(
      `  web CPU profile (self time): ${p.profile.map((g) => `${g.group} ${(g.share * 100).toFixed(0)}%`).join(", ")}`,
    );
  const goal =
    p.annotators === 100
      ? `  goal (>= 0.5x raw, vote p99 < 50 ms): ${p.ratio >= 0.5 && (p.endpoints.vote?.p99 ?? Infinity) < 50 ? "met" : "NOT met"}`
      : "";
  if (p.soloNextP50)
    log(
      `  uncontended GET /api/tasks/next p50 ${p.soloNextP50.toFixed(1)} ms (row-locked assignment: requests for different images run in parallel)`,
    );
  log(
    `  integrity (no acked vote lost, no duplicate): ${p.integrity ? "OK" : "FAILED"}; zero 5xx: ${p.http5xx === 0 ? "yes" : "NO"}${goal}`,
  );
}

const resultsDir = join(repoRoot, ".data", "bench");
const resultsFile = join(resultsDir, `votes-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
function writeResults() {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    resultsFile,
    JSON.stringify(
      { at: new Date().toISOString(), cpus: cpus().length, results, open: isOpen ? openSteps : undefined },
      null,
      2,
    ),
  );
}

const release = await holdLock(WEB_BUILD_LOCK, (m) => log(`bench: ${m}`));
armHardLimit();
const results: TPhase[] = [];
const openSteps: unknown[] = [];
let openOk = true;
try {
  log(
    `bench: ${cpus().length} CPUs, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} (shared machine)`,
  );
  // CONCORD_BENCH_REBUILD=1 forces a build; CONCORD_BENCH_REUSE_BUILD=1 measures whatever build exists (the
  // shared checkout moves while others work).
  const build = await buildWebIfStale({
    log: (m) => log(`bench: ${m}`),
    force: Boolean(process.env.CONCORD_BENCH_REBUILD),
    reuseExisting: Boolean(process.env.CONCORD_BENCH_REUSE_BUILD),
  });
  log(
    build.built
      ? `bench: next build took ${(build.ms / 1000).toFixed(0)} s`
      : `bench: reusing the production build in apps/web/.next (${build.why})`,
  );
  // Each page loop x client on its own database and server, one after the other.
  for (const loop of isOpen ? loops : [])
    for (const client of clients) {
      log(
        `\nbench: open loop, ${loop} page loop, ${client} client, a key press every ${think} s on average (exponential gaps), ` +
          `ramp ${sizes.join(", ")} annotators, ${seconds} s measured per step, pool ${poolSize}`,
      );
      current.db = await createTestDatabase("concord_bench");
      const profDir = values["cpu-prof"]
        ? join(repoRoot, ".data", "bench", `prof-open-${loop}-${client}-${Date.now()}`)
        : undefined;
      if (profDir) mkdirSync(profDir, { recursive: true });
      const capacity = await runCapacity({
        sizes,
        seconds,
        thinkSeconds: think,
        loop,
        client,
        poolSize,
        allSteps: values["all-steps"],
        stopping,
        images: values.images ? images : undefined, // default: enough for the ramp (imagesFor)
        profDir,
        db: current.db,
        onWeb: (web) => {
          current.web = web;
        },
        log,
      });
      await current.db.drop();
      current.db = undefined;
      openSteps.push(...capacity.steps);
      openOk &&= capacity.ok;
      writeResults();
    }
  if (!isOpen)
    for (const mode of modes)
      for (const n of sizes) {
        const p = await phase(mode, n);
        results.push(p);
        print(p); // at once: a later phase failing must not lose this one's figures
        writeResults();
      }
} finally {
  await cleanup();
  release();
}
log(`\nbench: figures written to ${resultsFile}`);
process.exit(results.every((p) => p.ok) && openOk ? 0 : 1);
