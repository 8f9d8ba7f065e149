// The variables `npm start` itself reads, validated once at start. The services' own variables (DATABASE_URL,
// REDIS_URL: "use this one" when set) are optional here: unset means "find or start one".
import { z } from "zod";

const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);

export const ZStackEnv = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .optional(),
  /** Secrets, embedded Postgres data and the like (never committed). */
  CONCORD_DATA_DIR: z.string().min(1).optional(),
  /** The FER+ folder for the demo data; else <CONCORD_SHARED>/datasets/ferplus (../shared by default). */
  CONCORD_FERPLUS: z.string().min(1).optional(),
  CONCORD_SHARED: z.string().min(1).optional(),
  /** Preferred ports: the next free one is taken when these are busy. */
  PORT: port(3000),
  CONCORD_WORKER_PORT: port(3100),
  /** Passed to the web and the worker when set (their own schemas check them); else npm start fills them in. */
  NEXTAUTH_URL: z.string().optional(),
  NEXTAUTH_SECRET: z.string().optional(),
  CONCORD_BOARD_TOKEN: z.string().optional(),
  CONCORD_ARTIFACTS_DIR: z.string().optional(),
  CONCORD_TRAINER_THREADS: z.string().optional(),
  CONCORD_WORKER_URL: z.string().optional(),
  /** Rebuild the web app even when its sources did not change. */
  CONCORD_REBUILD: z.enum(["0", "1"]).optional(),
});
export type TStackEnv = z.infer<typeof ZStackEnv>;

export function stackEnv(source: NodeJS.ProcessEnv = process.env): TStackEnv {
  const parsed = ZStackEnv.safeParse(source);
  if (!parsed.success) throw new Error(`npm start: invalid environment\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
