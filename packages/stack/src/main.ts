// The embedded start: everything the product needs on one machine, nothing installed by hand.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { createDb } from "@concord/db";
import { ensureDatabase, migrate } from "@concord/db/migrate";
import { buildWebIfStale, freePort, holdLock, startNext, WEB_BUILD_LOCK } from "@concord/web-runner";
import { resolvePostgres, resolveRedis } from "./services";

const root = resolve(import.meta.dirname, "../../..");
const dataDir = resolve(process.env.CONCORD_DATA_DIR ?? join(root, ".data"));
mkdirSync(dataDir, { recursive: true });

const children: ChildProcess[] = [];
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

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  log("stopping…");
  // Each child leads its own process group (npm -> sh -> next/node), so the whole tree gets the signal.
  for (const child of children) signalTree(child, "SIGTERM");
  await Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))),
  );
  for (const stop of stops.reverse()) await stop().catch(() => {});
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

function signalTree(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.exitCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
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
  children.push(child);
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
  const postgres = await resolvePostgres(dataDir);
  stops.push(postgres.stop);
  log(`postgres: ${postgres.how}`);
  const redis = await resolveRedis();
  if (redis.child) children.push(redis.child);
  log(`redis: ${redis.how}`);

  await ensureDatabase(postgres.url);
  const migrated = await migrate(postgres.url);
  log(`migrations: ${migrated.applied.length} applied, ${migrated.alreadyApplied.length} already there`);

  const db = createDb(postgres.url, 4);
  const { seedDemo } = await import("@concord/importer/demo");
  const ferplusPath =
    process.env.CONCORD_FERPLUS ??
    join(process.env.CONCORD_SHARED ?? join(root, "../shared"), "datasets/ferplus");
  const demo = await seedDemo(db, {
    ferplusPath: existsSync(ferplusPath) ? ferplusPath : undefined,
    seed: 7,
  });
  await db.$disconnect();

  const port = await freePort(Number(process.env.PORT ?? 3000));
  const url = `http://localhost:${port}`;
  const workerPort = await freePort(Number(process.env.CONCORD_WORKER_PORT ?? 3100));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? url,
    NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? persistentSecret("nextauth-secret"),
    CONCORD_BOARD_TOKEN: process.env.CONCORD_BOARD_TOKEN ?? persistentSecret("board-token"),
    CONCORD_ARTIFACTS_DIR: process.env.CONCORD_ARTIFACTS_DIR ?? join(root, ".artifacts"),
    NEXT_TELEMETRY_DISABLED: "1",
    TURBO_TELEMETRY_DISABLED: "1",
    PORT: String(port),
    CONCORD_WORKER_PORT: String(workerPort),
    // Data-parallel gradients on every core for CPU training (a resumed run must keep the same count).
    CONCORD_TRAINER_THREADS:
      process.env.CONCORD_TRAINER_THREADS ?? String(Math.min(4, availableParallelism())),
    CONCORD_WORKER_URL: process.env.CONCORD_WORKER_URL ?? `http://localhost:${workerPort}`,
  };

  // apps/web/.next is shared with e2e runs and the load bench of this checkout: build under their lock (not
  // held while serving: a long-running npm start would block them for good).
  const release = await holdLock(WEB_BUILD_LOCK, log);
  try {
    await buildWebIfStale({ log, force: Boolean(process.env.CONCORD_REBUILD), echo: true, env });
  } finally {
    release();
  }

  // The trainer's native OpenBLAS kernels (about 4x faster training than WASM alone); a machine without a
  // C compiler or OpenBLAS gets a one-line warning and trains on WASM.
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
