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
  getQueuePrefix,
  getRedisUrl,
  pingRedis,
  type TConnectionRole,
} from "./connection";
export { jobsEnv, type TJobsEnv, ZJobsEnv } from "./env";
export { isQueueUnavailableError, QueueUnavailableError } from "./errors";
export {
  cancelChannel,
  isQueueName,
  parseQueueList,
  QUEUE_NAMES,
  REMOVE_ON_COMPLETE,
  REMOVE_ON_FAIL,
  type TQueueName,
  TRAIN_QUEUES,
  type TTrainQueue,
} from "./queues";
export * from "./registry";
export * from "./run-config";
