// The variables @concord/jobs reads, owned here and extended by each app's schema (apps/web, apps/worker).
import { z } from "zod";

export const ZJobsEnv = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .default("redis://127.0.0.1:6379"),
  /** BullMQ key prefix; tests use a unique one per file so parallel suites never share keys. */
  CONCORD_QUEUE_PREFIX: z.string().trim().min(1).default("concord"),
});
export type TJobsEnv = z.infer<typeof ZJobsEnv>;

export function jobsEnv(source: NodeJS.ProcessEnv = process.env): TJobsEnv {
  const parsed = ZJobsEnv.safeParse(source);
  if (!parsed.success)
    throw new Error(`@concord/jobs: invalid environment\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
