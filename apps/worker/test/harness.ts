// Real worker processes for integration tests: `node --import tsx src/main.ts`, so the PID is the worker
// itself (kill -9 hits it, not a wrapper), with short lock / stalled / reconcile intervals.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TDb } from "@concord/db";

const appDir = fileURLToPath(new URL("..", import.meta.url));

export type TWorkerProc = { proc: ChildProcess; logs: string[]; exited: Promise<number | null> };

export function spawnWorker(env: Record<string, string>): TWorkerProc {
  const logs: string[] = [];
  const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: appDir,
    env: {
      ...process.env,
      CONCORD_WORKER_PORT: "0",
      CONCORD_WORKER_HOST: "127.0.0.1",
      CONCORD_TF_BACKEND: "wasm",
      CONCORD_LOCK_DURATION_MS: "4000",
      CONCORD_STALLED_INTERVAL_MS: "1500",
      CONCORD_RECONCILE_MS: "1000",
      CONCORD_CANCEL_POLL_MS: "200",
      CONCORD_SHUTDOWN_GRACE_MS: "30000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const push = (chunk: Buffer) =>
    logs.push(
      ...chunk
        .toString()
        .split("\n")
        .filter(Boolean)
        .map((l) => `${new Date().toISOString().slice(11, 23)} ${l}`),
    );
  proc.stdout?.on("data", push);
  proc.stderr?.on("data", push);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, logs, exited };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 90_000,
) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function createRun(db: TDb, datasetId: string, config: Record<string, unknown>, seed = 7) {
  return db.trainingRun.create({
    data: {
      datasetId,
      seed,
      // As the web stores it: the whole parsed run config, dataset included.
      config: {
        datasetId,
        model: "fast-lite",
        scheme: "probability",
        eps: 0,
        epochs: 2,
        patience: 0,
        learningRate: 0.002,
        batchSize: 16,
        augment: false,
        ...config,
      },
    },
  });
}

/** True when no process with this pid exists any more. */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
