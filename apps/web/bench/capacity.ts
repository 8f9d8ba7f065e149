// npm run bench:votes -- --open: how many people can label at once with the page still instant. One
// database and one `next start` for the whole ramp; N people (SimulatedPage: the labelling page's requests,
// a key press every `think` seconds on average, exponential gaps, open loop) for each N of the ramp. A step:
// sign in the accounts it adds (next-auth, argon2id; everyone is idle meanwhile), the newcomers open the page
// spread over `ramp` seconds (then, on a server without autovacuum, VACUUM ANALYZE as autovacuum would),
// `settle` seconds, then `seconds` measured; then every page stops, its answers
// drain and Postgres is checked against every acknowledgement so far. The ramp stops after the first step
// that fails (p99 >= 50 ms for a call, a 5xx, a client error or an integrity failure) unless --all-steps.
import { loadavg } from "node:os";
import type { TTestDatabase } from "@concord/db/testing";
import { startNext, type TWebServer } from "@concord/web-runner";
import { signInAll } from "./annotators";
import { printStep, printSummary, summarizeStep, type TStep } from "./capacity-report";
import { browserClient, type TClientKind } from "./http-client";
import { newRecorder, SimulatedPage, type TPageLoop } from "./page-loop";
import { BackendCpu, dbCounters, foldProfile, machineBusyMs, treeCpuMs } from "./profile";
import { BENCH_PASSWORD, checkpointSeed, isAutovacuumOn, seedBench, vacuumHotTables } from "./seed";
import { verifyVotes } from "./verify";

export type TCapacityOptions = {
  sizes: number[];
  seconds: number;
  thinkSeconds: number;
  loop: TPageLoop;
  client: TClientKind; // --client: the simulated browsers' HTTP client (http-client.ts)
  poolSize: number;
  stopping: "panel" | "model"; // the dataset's stopping prior (--stopping)
  images?: number;
  allSteps: boolean; // --all-steps: go on after a failed step (to see how the cost grows past it)
  profDir?: string; // --cpu-prof: the web server's V8 profile goes there, folded by module when it stops
  db: TTestDatabase;
  onWeb: (web: TWebServer) => void;
  log: (m: string) => void;
};

const RAMP_S = 5;
const SETTLE_S = 5;
const LEASE_S = 60; // the server's default CONCORD_LEASE_SECONDS
const P99_LIMIT_MS = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Enough faces that nobody runs out: every vote of the run at two votes per face (minVotes) plus three
// leased faces per person per step (a reload leaves its prefetched faces leased until they expire).
export function imagesFor(o: Pick<TCapacityOptions, "sizes" | "seconds" | "thinkSeconds">): number {
  const votes = o.sizes.reduce(
    (sum, n) => sum + (n * (RAMP_S + SETTLE_S + o.seconds + 2)) / o.thinkSeconds,
    0,
  );
  return Math.ceil((votes / 2) * 1.1 + 3 * o.sizes.reduce((a, b) => a + b, 0));
}

export async function runCapacity(o: TCapacityOptions): Promise<{ steps: TStep[]; ok: boolean }> {
  const maxN = Math.max(...o.sizes);
  const images = o.images ?? imagesFor(o);
  const t0 = performance.now();
  const seeded = await seedBench(o.db.db, { images, annotators: maxN, stopping: o.stopping });
  o.log(
    `bench: seeded ${seeded.imageIds.length} images, ${maxN} annotators in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const refused = await checkpointSeed(o.db.db);
  if (refused)
    o.log(`bench: no CHECKPOINT after the seed (${refused}): the first step also writes the seed out`);
  const hasAutovacuum = await isAutovacuumOn(o.db.db);
  if (!hasAutovacuum)
    o.log(
      "bench: autovacuum is off on this server: VACUUM ANALYZE of the hot tables after each step's arrivals",
    );
  const web = await startNext({
    env: { DATABASE_URL: o.db.url, CONCORD_DB_POOL: String(o.poolSize) },
    nodeArgs: o.profDir ? ["--cpu-prof", `--cpu-prof-dir=${o.profDir}`] : [],
  });
  o.onWeb(web);
  const acked = new Map<string, string>();
  const givenUp = { votes: 0 };
  const pages: SimulatedPage[] = [];
  const steps: TStep[] = [];
  let stoppedAt = performance.now();
  try {
    for (const n of o.sizes) {
      const fresh = seeded.annotators.slice(pages.length, n).map((a) => a.email);
      const login = await signInAll(web.url, fresh, BENCH_PASSWORD, 8);
      o.log(
        `\n== ${n} annotators (${o.loop}): ${fresh.length} sign-ins (next-auth, argon2id) in ${(login.ms / 1000).toFixed(1)} s ==`,
      );
      const recorder = newRecorder(acked, givenUp);
      // A pause longer than half a lease: the open pages reload (their prefetched leases may be gone).
      const reload = performance.now() - stoppedAt > (LEASE_S * 1000) / 2;
      for (const page of pages) {
        page.recorder = recorder;
        if (reload) page.reload();
        page.start();
      }
      const newcomers = login.cookies.map(
        (cookie) =>
          new SimulatedPage(
            browserClient(o.client, web.url, cookie),
            o.loop,
            o.thinkSeconds * 1000,
            recorder,
          ),
      );
      pages.push(...newcomers);
      const arrivals = newcomers.map((page) => setTimeout(() => page.start(), Math.random() * RAMP_S * 1000));
      await sleep(RAMP_S * 1000);
      if (!hasAutovacuum) await vacuumHotTables(o.db.db);
      await sleep(SETTLE_S * 1000);
      recorder.window = { from: performance.now(), to: performance.now() + o.seconds * 1000 };
      const backends = await BackendCpu.start(o.db.url);
      const before = {
        web: treeCpuMs(web.child.pid as number),
        pg: await dbCounters(o.db.url),
        client: process.cpuUsage(),
        machine: machineBusyMs(),
      };
      await sleep(o.seconds * 1000);
      const after = await dbCounters(o.db.url);
      const cpu = {
        webMs: treeCpuMs(web.child.pid as number) - before.web,
        pgMs: await backends.stop(),
        clientMs: (() => {
          const u = process.cpuUsage(before.client);
          return (u.user + u.system) / 1000;
        })(),
        machineMs: machineBusyMs() - before.machine,
      };
      const load = loadavg();
      for (const t of arrivals) clearTimeout(t);
      const drain0 = performance.now();
      await Promise.all(pages.map((p) => p.stop()));
      stoppedAt = performance.now();
      const verdict = await verifyVotes(o.db.url, acked);
      const step = summarizeStep({
        n,
        loop: o.loop,
        client: o.client,
        seconds: o.seconds,
        recorder,
        verdict,
        cpu,
        wal: {
          bytes: after.walBytes - before.pg.walBytes,
          fpi: after.walFpi - before.pg.walFpi,
          syncs: after.walSyncs - before.pg.walSyncs,
          syncMs: after.walSyncMs - before.pg.walSyncMs,
          xacts: after.xacts - before.pg.xacts,
          checkpoints: after.checkpoints - before.pg.checkpoints,
          buffersWritten: after.buffersWritten - before.pg.buffersWritten,
        },
        load,
        drainMs: stoppedAt - drain0,
        p99LimitMs: P99_LIMIT_MS,
      });
      steps.push(step);
      printStep(step, o.log);
      if (!step.ok && !o.allSteps) break;
    }
  } finally {
    for (const page of pages) page.close();
    await web.stop();
  }
  if (o.profDir)
    o.log(
      `bench: web CPU profile (self time, whole run): ${foldProfile(o.profDir)
        .map((g) => `${g.group} ${(g.share * 100).toFixed(0)}%`)
        .join(", ")} (${o.profDir})`,
    );
  printSummary(steps, o.log, P99_LIMIT_MS);
  return { steps, ok: steps.every((s) => s.integrity && s.http5xx === 0) };
}
