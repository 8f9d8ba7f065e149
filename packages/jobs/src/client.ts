import { type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { ZodError } from "zod";
import { createRedisConnection, getQueuePrefix, getRedisUrl, pingRedis } from "./connection";
import { QueueUnavailableError } from "./errors";
import {
  cancelChannel,
  QUEUE_NAMES,
  REMOVE_ON_COMPLETE,
  REMOVE_ON_FAIL,
  type TQueueName,
  TRAIN_QUEUES,
} from "./queues";
import {
  JOBS,
  predictJobId,
  type TEvaluatePayload,
  type TJobName,
  type TJobPayloadInput,
  type TPredictPayload,
  type TSnapshotLabelsPayload,
  type TTrainPayload,
  trainJobId,
} from "./registry";

export type TEnqueueOptions = {
  /** Another queue than the job's default, e.g. "train-gpu" for runs that ask for a GPU worker. */
  queue?: TQueueName;
  delay?: number;
  priority?: number;
  /**
   * A finished (completed or failed) job with the same deterministic id is removed first, so the job runs
   * again (resuming a cancelled prediction set); a waiting or active one is left alone (no second job).
   */
  replaceFinished?: boolean;
};
export type TEnqueued = { name: TJobName; queue: TQueueName; jobId: string };
export type TQueueCounts = {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
};
export type TCancelResult = { published: boolean; removedJobIds: string[] };

export type TJobsClientOptions = {
  redisUrl?: string;
  prefix?: string;
  /** Upper bound for any one Redis round trip before QueueUnavailableError (ms). */
  timeoutMs?: number;
};

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new QueueUnavailableError(
            `${what}: the job queue (Redis) is unavailable (no answer within ${ms} ms)`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function toQueueError(error: unknown, what: string): Error {
  if (error instanceof QueueUnavailableError || error instanceof ZodError) return error;
  const message = (error as Error)?.message ?? String(error);
  return new QueueUnavailableError(`${what}: the job queue (Redis) is unavailable (${message})`, {
    cause: error,
  });
}

/** Producer side (web, scripts, tests): typed enqueue, cancel requests and queue counts. */
export function createJobsClient(options: TJobsClientOptions = {}) {
  const prefix = options.prefix ?? getQueuePrefix();
  const timeoutMs = options.timeoutMs ?? 1500;
  const connection: Redis = createRedisConnection({
    url: options.redisUrl ?? getRedisUrl(),
    kind: "producer",
  });
  // Unhandled 'error' events would crash the web process while Redis is down; state is probed per call.
  connection.on("error", () => {});
  const queues = new Map<TQueueName, Queue>();

  function queue(name: TQueueName): Queue {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection, prefix });
      q.on("error", () => {});
      queues.set(name, q);
    }
    return q;
  }

  async function ensureAvailable(what: string): Promise<void> {
    // A fresh or reconnecting client gets a short moment to become ready; a "ready" one may not have
    // noticed a dead server yet, so every call probes with one PING (sub-millisecond when Redis is up).
    if (connection.status !== "ready")
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(timeoutMs, 1000));
        function done() {
          clearTimeout(timer);
          connection.off("ready", done);
          resolve();
        }
        connection.once("ready", done);
      });
    if (!(await pingRedis(connection, 500))) {
      throw new QueueUnavailableError(`${what}: the job queue (Redis) is unavailable; try again shortly`);
    }
  }

  async function enqueue<N extends TJobName>(
    name: N,
    payload: TJobPayloadInput<N>,
    opts: TEnqueueOptions = {},
  ): Promise<TEnqueued> {
    const def = JOBS[name];
    // Bad input is refused before touching Redis (ZodError names the field).
    const data = def.payload.parse(payload) as Record<string, unknown>;
    const queueName = opts.queue ?? def.queue;
    const jobOpts: JobsOptions = {
      attempts: def.attempts,
      backoff: { type: "exponential", delay: 2000 },
      removeOnComplete: REMOVE_ON_COMPLETE,
      removeOnFail: REMOVE_ON_FAIL,
      delay: opts.delay,
      priority: opts.priority,
    };
    if ("jobId" in def) jobOpts.jobId = def.jobId(data as never);
    const what = `enqueue ${name}`;
    try {
      await ensureAvailable(what);
      if (opts.replaceFinished && jobOpts.jobId) {
        const old = await withTimeout(queue(queueName).getJob(jobOpts.jobId), timeoutMs, what);
        const state = old ? await old.getState() : null;
        if (old && (state === "completed" || state === "failed")) await old.remove();
      }
      const job = await withTimeout(queue(queueName).add(name, data, jobOpts), timeoutMs, what);
      return { name, queue: queueName, jobId: String(job.id) };
    } catch (error) {
      throw toQueueError(error, what);
    }
  }

  /**
   * Broadcasts a cancel to all workers (the run or prediction set stops within one batch) and removes its
   * job if it is still waiting. The caller sets cancelRequested on the row first (Postgres is the truth;
   * workers also poll it), and marks it CANCELLED itself when a job was removed before any worker took it.
   * Run and set ids are cuids, so one channel carries both.
   */
  async function cancelJob(id: string, jobId: string, what: string): Promise<TCancelResult> {
    try {
      await ensureAvailable(what);
      const receivers = await withTimeout(connection.publish(cancelChannel(prefix), id), timeoutMs, what);
      const removedJobIds: string[] = [];
      for (const name of TRAIN_QUEUES) {
        const job = await withTimeout(queue(name).getJob(jobId), timeoutMs, what);
        if (!job) continue;
        const state = await job.getState();
        if (state === "waiting" || state === "delayed" || state === "prioritized") {
          await job.remove().then(
            () => removedJobIds.push(String(job.id)),
            () => {},
          );
        }
      }
      return { published: receivers > 0, removedJobIds };
    } catch (error) {
      throw toQueueError(error, what);
    }
  }

  async function counts(): Promise<Record<TQueueName, TQueueCounts>> {
    const what = "queue counts";
    try {
      await ensureAvailable(what);
      const entries = await Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const c = await withTimeout(
            queue(name).getJobCounts("waiting", "active", "delayed", "failed", "completed", "prioritized"),
            timeoutMs,
            what,
          );
          const counts: TQueueCounts = {
            waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
            active: c.active ?? 0,
            delayed: c.delayed ?? 0,
            failed: c.failed ?? 0,
            completed: c.completed ?? 0,
          };
          return [name, counts] as const;
        }),
      );
      return Object.fromEntries(entries) as Record<TQueueName, TQueueCounts>;
    } catch (error) {
      throw toQueueError(error, what);
    }
  }

  return {
    prefix,
    connection,
    queue,
    enqueue,
    snapshotLabels: (payload: TSnapshotLabelsPayload, opts?: TEnqueueOptions) =>
      enqueue("snapshot-labels", payload, opts),
    train: (payload: TTrainPayload, opts?: TEnqueueOptions) => enqueue("train", payload, opts),
    evaluate: (payload: TEvaluatePayload, opts?: TEnqueueOptions) => enqueue("evaluate", payload, opts),
    predict: (payload: TPredictPayload, opts?: TEnqueueOptions) => enqueue("predict", payload, opts),
    requestCancel: (runId: string) => cancelJob(runId, trainJobId(runId), "cancel run"),
    requestPredictCancel: (setId: string) => cancelJob(setId, predictJobId(setId), "cancel predictions"),
    counts,
    isAvailable: () =>
      ensureAvailable("ping").then(
        () => true,
        () => false,
      ),
    async close(): Promise<void> {
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      connection.disconnect();
    },
  };
}

export type TJobsClient = ReturnType<typeof createJobsClient>;
