// One BullMQ Worker per configured queue, all running jobs in sandboxed child processes.
import { fileURLToPath } from "node:url";
import { createRedisConnection, type TQueueName } from "@concord/jobs";
import { Worker } from "bullmq";
import type { TWorkerEnv } from "./env";

export const PROCESSOR_FILE = fileURLToPath(new URL("./processor.mjs", import.meta.url));

export function startWorkers(env: TWorkerEnv, log: (line: string) => void): Worker[] {
  return env.CONCORD_WORKER_QUEUES.map((queue: TQueueName) => {
    const worker = new Worker(queue, PROCESSOR_FILE, {
      connection: createRedisConnection({ url: env.REDIS_URL }),
      prefix: env.CONCORD_QUEUE_PREFIX,
      concurrency: env.CONCORD_WORKER_CONCURRENCY,
      // The parent only relays messages, so its event loop stays free to renew locks during training.
      lockDuration: env.CONCORD_LOCK_DURATION_MS,
      stalledInterval: env.CONCORD_STALLED_INTERVAL_MS,
      maxStalledCount: env.CONCORD_MAX_STALLED,
      useWorkerThreads: false,
    });
    worker.on("active", (job) =>
      log(`${queue}: ${job.name} ${job.id} started (attempt ${job.attemptsMade + 1})`),
    );
    worker.on("completed", (job) => log(`${queue}: ${job.name} ${job.id} completed`));
    worker.on("failed", (job, err) => log(`${queue}: ${job?.name} ${job?.id} failed: ${err.message}`));
    worker.on("stalled", (jobId) => log(`${queue}: job ${jobId} stalled (its worker died); re-queued`));
    worker.on("error", (err) => log(`${queue}: worker error: ${err.message}`));
    return worker;
  });
}
