export {
  createJobsClient,
  type TCancelResult,
  type TEnqueued,
  type TEnqueueOptions,
  type TJobsClient,
  type TJobsClientOptions,
  type TQueueCounts,
} from "./client";
export {
  createRedisConnection,
  DEFAULT_QUEUE_PREFIX,
  DEFAULT_REDIS_URL,
  getQueuePrefix,
  getRedisUrl,
  pingRedis,
  type TConnectionRole,
} from "./connection";
export { isQueueUnavailableError, QueueUnavailableError } from "./errors";
export {
  cancelChannel,
  isQueueName,
  parseQueueList,
  QUEUE_NAMES,
  REMOVE_ON_COMPLETE,
  REMOVE_ON_FAIL,
  type TQueueName,
} from "./queues";
export * from "./registry";
