// The variables @concord/db reads, owned here and extended by each app's schema (apps/web, apps/worker).
// The default makes the embedded start (`npm start`) work with no .env at all.
import { z } from "zod";

export const ZDbEnv = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .default("postgresql://postgres@127.0.0.1:5432/concord"),
  /** Connections in the process's pg pool (Prisma and the web's hand-written statements share it). */
  CONCORD_DB_POOL: z.coerce.number().int().min(1).max(1000).default(10),
});
export type TDbEnv = z.infer<typeof ZDbEnv>;

export function dbEnv(source: NodeJS.ProcessEnv = process.env): TDbEnv {
  const parsed = ZDbEnv.safeParse(source);
  if (!parsed.success) throw new Error(`@concord/db: invalid environment\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function getDatabaseUrl(): string {
  return dbEnv().DATABASE_URL;
}
