// The one place apps/web reads process.env. Validated once, lazily (the first request), so `next build`
// can import route modules without a runtime secret; a missing or malformed variable stops with its name.
import { ZDbEnv } from "@concord/db";
import { ZJobsEnv } from "@concord/jobs";
import { z } from "zod";

const DEV_SECRET = "concord-dev-secret-not-for-production-use-000";

const isBuildPhase = (source: NodeJS.ProcessEnv) => source.NEXT_PHASE === "phase-production-build";
// `next start` forces NODE_ENV=production, so "production-like" also covers the embedded start, which passes
// a generated secret (packages/stack keeps it in .data/nextauth-secret).
const isProductionLike = (source: NodeJS.ProcessEnv) =>
  source.NODE_ENV === "production" && !isBuildPhase(source);

// The database's and the queue's variables come from their packages' own schemas.
export const ZEnv = ZDbEnv.extend(ZJobsEnv.shape).extend({
  NEXTAUTH_URL: z.url("must be an absolute URL").default("http://localhost:3000"),
  NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  // Login attempts allowed per email+IP per minute.
  CONCORD_LOGIN_LIMIT: z.coerce.number().int().min(1).max(10_000).default(10),
  // Trust X-Forwarded-For / X-Real-IP for the login limiter: only behind a proxy that sets them ("1").
  CONCORD_TRUST_PROXY: z
    .enum(["0", "1", "true", "false"])
    .default("0")
    .transform((v) => v === "1" || v === "true"),
  // Seconds an image stays reserved for the annotator it was sent to.
  CONCORD_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
  // Group commit of votes (src/server/group-commit.ts): votes per transaction at most (1: each vote its own
  // transaction), and such transactions at once.
  CONCORD_VOTE_BATCH: z.coerce.number().int().min(1).max(256).default(16),
  CONCORD_VOTE_BATCH_INFLIGHT: z.coerce.number().int().min(1).max(64).default(2),
});

export type TEnv = Omit<z.infer<typeof ZEnv>, "NEXTAUTH_SECRET"> & { NEXTAUTH_SECRET: string };

export function parseEnv(source: NodeJS.ProcessEnv): TEnv {
  const parsed = ZEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`apps/web: invalid environment\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  let secret = env.NEXTAUTH_SECRET;
  if (!secret) {
    if (isProductionLike(source)) {
      throw new Error(
        "apps/web: NEXTAUTH_SECRET is required in production (`npm start` generates one; or set 32+ random characters)",
      );
    }
    secret = DEV_SECRET;
  }
  return { ...env, NEXTAUTH_SECRET: secret };
}

let cached: TEnv | undefined;

export function getEnv(): TEnv {
  cached ??= parseEnv(process.env);
  return cached;
}
