// A real worker (apps/worker) for a test file: on the e2e database and the harness's private queue prefix,
// `npx tsx` in its own process group (stop it with stopProcessGroup), ready once /healthz answers.
import { freePort, repoRoot, startServer, type TServerProcess } from "@concord/web-runner";
import { inject } from "vitest";

export type TE2EWorker = TServerProcess & { port: number };

export async function startWorker(options: {
  queues: string;
  artifactsDir: string;
  env?: Record<string, string>;
}): Promise<TE2EWorker> {
  const prefix = process.env.CONCORD_QUEUE_PREFIX;
  // The harness gives web and test workers one private prefix; the shared "concord" prefix may have other
  // workers (on other databases) that would take this file's jobs.
  if (!prefix || prefix === "concord") throw new Error("CONCORD_QUEUE_PREFIX not set by the e2e harness");
  const port = await freePort();
  const worker = await startServer({
    command: "npx",
    args: ["tsx", "apps/worker/src/main.ts"],
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: inject("databaseUrl"),
      CONCORD_QUEUE_PREFIX: prefix,
      CONCORD_WORKER_PORT: String(port),
      CONCORD_WORKER_HOST: "127.0.0.1",
      CONCORD_WORKER_QUEUES: options.queues,
      CONCORD_ARTIFACTS_DIR: options.artifactsDir,
      ...options.env,
    },
    readyUrl: `http://127.0.0.1:${port}/healthz`,
  });
  return { ...worker, port };
}
