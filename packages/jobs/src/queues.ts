/**
 * Queue names (BullMQ keys are `<prefix>:<queue>:...`). A worker consumes the queues listed in
 * CONCORD_WORKER_QUEUES. `train-gpu` exists so runs that ask for a GPU can be routed to GPU workers only,
 * while a GPU worker may also drain `train` (same or split queues, by configuration).
 */
export const QUEUE_NAMES = ["labels", "train", "train-gpu", "evaluate"] as const;
export type TQueueName = (typeof QUEUE_NAMES)[number];
/** The queues a train job may sit in (see trainQueueFor in run-config.ts). */
export const TRAIN_QUEUES = ["train", "train-gpu"] as const satisfies readonly TQueueName[];
export type TTrainQueue = (typeof TRAIN_QUEUES)[number];

export function isQueueName(value: string): value is TQueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}

/** Parses a comma list such as "train,evaluate"; an unknown name is an error naming it. */
export function parseQueueList(value: string): TQueueName[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new Error("queue list is empty");
  for (const name of names) {
    if (!isQueueName(name)) throw new Error(`unknown queue "${name}" (known: ${QUEUE_NAMES.join(", ")})`);
  }
  return [...new Set(names)] as TQueueName[];
}

/** Completed/failed jobs are kept bounded: Postgres holds the history, Redis only recent job state. */
export const REMOVE_ON_COMPLETE = { count: 1000, age: 7 * 24 * 3600 } as const;
export const REMOVE_ON_FAIL = { count: 5000, age: 30 * 24 * 3600 } as const;

/** Redis pub/sub channel on which cancel requests are broadcast to every worker (payload: run or prediction set id). */
export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel-run`;
}
