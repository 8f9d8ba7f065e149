/**
 * Redis (the queue) cannot be reached. The web turns this into HTTP 503: votes still go to Postgres, only
 * launching work waits for Redis to come back.
 */
export class QueueUnavailableError extends Error {
  override name = "QueueUnavailableError";
  readonly status = 503;
  constructor(
    message = "The job queue (Redis) is unavailable; try again shortly.",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isQueueUnavailableError(error: unknown): error is QueueUnavailableError {
  return error instanceof QueueUnavailableError || (error as Error | null)?.name === "QueueUnavailableError";
}
