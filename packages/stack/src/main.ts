// The embedded start: everything the product needs on one machine, nothing installed by hand.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { createDb } from "@concord/db";
import { ensureDatabase, migrate } from "@concord/db/migrate";
import {
  buildWebIfStale,
  freePort,
  holdLock,
  liveGroupMembers,
  startNext,
  WEB_BUILD_LOCK,
} from "@concord/web-runner";
import { stackEnv } from "./env";
import { resolvePostgres, resolveRedis } from "./services";

const root = resolve(import.meta.dirname, "../../..");
const env0 = stackEnv();
const dataDir = resolve(env0.CONCORD_DATA_DIR ?? join(root, ".data"));
mkdirSync(dataDir, { recursive: true });

// Every child leads its own process group (npm -> sh -> node), so a signal to the group reaches its whole tree
// and "stopped" means no process of the group is left, not only that the npm in front of it exited.
const children: { name: string; child: ChildProcess }[] = [];
const stops: (() => Promise<void>)[] = [];
let stopping = false;

function log(message: string) {
  console.log(`concord: ${message}`);
}

// Secrets survive restarts (sessions stay valid) but are never committed: they live in .data/.
function persistentSecret(name: string): string {
  const file = join(dataDir, name);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

const isRunning = ({ child }: { child: ChildProcess }) =>
  child.pid !== undefined && liveGroupMembers(child.pid).length > 0;

// The first Ctrl-C stops every child and waits for all of them, saying which it waits for: the worker finishes
// the training epoch under way and checkpoints it. A second Ctrl-C kills them at once (the run resumes from its
// last checkpoint on the next start).
async function shutdown(code: number) {
  if (stopping) {
    log("stopping at once");
    for (const c of children) signalTree(c.child, "SIGKILL");
    for (const stop of stops.reverse()) await stop().catch(() => {});
    process.exit(code);
  }
  stopping = true;
  log("stopping… (Ctrl-C again to stop at once)");
  for (const c of children) signalTree(c.child, "SIGTERM");
  let said = "";
  for (let waiting = children.filter(isRunning); waiting.length > 0; waiting = children.filter(isRunning)) {
    const names = waiting.map((c) => c.name).join(", ");
    if (names !== said) {
      const why = waiting.some((c) => c.name === "worker")
        ? " (the worker ends its training epoch first)"
        : "";
      log(`waiting for ${names}${why}…`);
      said = names;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const stop of stops.reverse()) await stop().catch(() => {});
  log("stopped");
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

function signalTree(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {}
}

// Output of a child, line by line behind its name.
function printAs(name: string): (chunk: string) => void {
  return (chunk) => {
    for (const line of chunk.split("\n"))
      if (line.trim() && !line.includes("npm warn")) console.log(`[${name}] ${line}`);
  };
}

// A child whose death takes everything down: it leads its own process group, stopped with the others.
function watch(name: string, child: ChildProcess) {
  child.on("exit", (code) => {
    if (!stopping) {
      log(`${name} exited with code ${code}; stopping everything`);
      void shutdown(code ?? 1);
    }
  });
  children.push({ name, child });
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn("npm", args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", printAs(name));
  }
  watch(name, child);
  return child;
}

async function main() {
  const t0 = Date.now();
  const postgres = await resolvePostgres(dataDir, env0.DATABASE_URL);
  stops.push(postgres.stop);
  log(`postgres: ${postgres.how}`);
  const redis = await resolveRedis(env0.REDIS_URL);
  if (redis.child) children.push({ name: "redis", child: redis.child });
  log(`redis: ${redis.how}`);

  await ensureDatabase(postgres.url);
  const migrated = await migrate(postgres.url);
  log(`migrations: ${migrated.applied.length} applied, ${migrated.alreadyApplied.length} already there`);

  const db = createDb(postgres.url, 4);
  const { seedDemo } = await import("@concord/importer/demo");
  const ferplusPath =
    env0.CONCORD_FERPLUS ?? join(env0.CONCORD_SHARED ?? join(root, "../shared"), "datasets/ferplus");
  const demo = await seedDemo(db, {
    ferplusPath: existsSync(ferplusPath) ? ferplusPath : undefined,
    seed: 7,
  });
  await db.$disconnect();

  const port = await freePort(env0.PORT);
  const url = `http://localhost:${port}`;
  const workerPort = await freePort(env0.CONCORD_WORKER_PORT);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    NEXTAUTH_URL: env0.NEXTAUTH_URL ?? url,
    NEXTAUTH_SECRET: env0.NEXTAUTH_SECRET ?? persistentSecret("nextauth-secret"),
    CONCORD_BOARD_TOKEN: env0.CONCORD_BOARD_TOKEN ?? persistentSecret("board-token"),
    CONCORD_ARTIFACTS_DIR: env0.CONCORD_ARTIFACTS_DIR ?? join(root, ".artifacts"),
    NEXT_TELEMETRY_DISABLED: "1",
    TURBO_TELEMETRY_DISABLED: "1",
    PORT: String(port),
    CONCORD_WORKER_PORT: String(workerPort),
    // Data-parallel gradients on every core for CPU training (a resumed run must keep the same count).
    CONCORD_TRAINER_THREADS: env0.CONCORD_TRAINER_THREADS ?? String(Math.min(4, availableParallelism())),
    CONCORD_WORKER_URL: env0.CONCORD_WORKER_URL ?? `http://localhost:${workerPort}`,
  };

  // apps/web/.next is shared with e2e runs and the load bench of this checkout: build under their lock (not
  // held while serving: a long-running npm start would block them for good).
  const release = await holdLock(WEB_BUILD_LOCK, log);
  try {
    await buildWebIfStale({ log, force: env0.CONCORD_REBUILD === "1", echo: true, env });
  } finally {
    release();
  }

  // The trainer's native kernels (about 4x faster training than WASM alone), on OpenBLAS where it is
  // installed, else on their builtin sgemm; a machine without a C compiler gets a one-line warning and
  // trains on WASM.
  spawnSync(process.execPath, [join(root, "packages/trainer/native/build.mjs")], {
    cwd: root,
    env,
    stdio: "inherit",
  });

  run("worker", ["start", "-w", "@concord/worker"], env);
  await startNext({
    port,
    listen: "all",
    env,
    timeoutMs: 120_000,
    onOutput: printAs("web"),
    onSpawn: (child) => watch("web", child),
  });
  console.log("");
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s — open ${url}`);
  log(
    `queues: http://localhost:${workerPort}/admin/queues (Bull Board; password: the token in .data/board-token)`,
  );
  for (const line of demo.summary) log(line);
  console.log("");
}

main().catch(async (error: unknown) => {
  console.error(`concord: ${(error as Error).message}`);
  await shutdown(1);
});
