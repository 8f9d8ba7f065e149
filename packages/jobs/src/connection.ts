import { Redis, type RedisOptions } from "ioredis";
import { jobsEnv } from "./env";

export function getRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return jobsEnv(env).REDIS_URL;
}

export function getQueuePrefix(env: NodeJS.ProcessEnv = process.env): string {
  return jobsEnv(env).CONCORD_QUEUE_PREFIX;
}

export type TConnectionRole = "worker" | "producer";

/**
 * ioredis connection as BullMQ wants it (`maxRetriesPerRequest: null` for workers). A "producer" connection (web)
 * also disables the offline queue and connects fast, so a command fails at once while Redis is down
 * instead of waiting for a reconnect: launching a run must answer 503 quickly, not hang.
 */
export function createRedisConnection(
  options: { url?: string; kind?: TConnectionRole } & Partial<RedisOptions> = {},
): Redis {
  const { url = getRedisUrl(), kind = "worker", ...rest } = options;
  const base: RedisOptions = {
    maxRetriesPerRequest: null,
    // Keep retrying forever with a capped delay: a worker outlives a Redis restart.
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
  const producer: RedisOptions =
    kind === "producer"
      ? // maxRetriesPerRequest 0: a command caught by a disconnect is rejected, not replayed minutes later
        // after the web already answered 503 (BullMQ needs `null` only on blocking Worker connections).
        { enableOfflineQueue: false, connectTimeout: 1500, maxRetriesPerRequest: 0 }
      : {};
  return new Redis(url, { ...base, ...producer, ...rest });
}

/** Resolves true when Redis answers PING within `timeoutMs`, false otherwise (never throws). */
export async function pingRedis(connection: Redis, timeoutMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      connection.ping().then(
        (r) => r === "PONG",
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
