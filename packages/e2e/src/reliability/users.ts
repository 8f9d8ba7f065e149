// Accounts of their own for the reliability tests (authz, bad input, faults): other e2e files rate-limit
// and vote with the contract accounts, so these tests never share a login window or a vote history with them.
import { randomBytes } from "node:crypto";
import type { TDb } from "@concord/db";
import { hash } from "@node-rs/argon2";
import { E2E_PASSWORD } from "../accounts";
import { signIn, type TSession } from "../http";

export type TRole = "ANNOTATOR" | "RESEARCHER" | "ADMIN";
export type TTestUser = { id: string; email: string; role: TRole };

let passwordHash: Promise<string> | undefined;

export async function createUser(db: TDb, role: TRole, prefix: string): Promise<TTestUser> {
  passwordHash ??= hash(E2E_PASSWORD);
  const email = `${prefix}-${role.toLowerCase()}-${randomBytes(4).toString("hex")}@reliability.test`;
  const user = await db.user.create({
    data: { email, name: `${prefix} ${role.toLowerCase()}`, role, passwordHash: await passwordHash },
    select: { id: true, email: true, role: true },
  });
  return user as TTestUser;
}

export async function sessionFor(user: { email: string }): Promise<TSession> {
  const r = await signIn({ email: user.email }, E2E_PASSWORD, {
    // A private address per user: the login limiter keys on email + IP.
    "x-forwarded-for": `10.77.${randomBytes(1)[0]}.${randomBytes(1)[0]}`,
  });
  if (!r.session) throw new Error(`${user.email} could not sign in: ${r.error} (HTTP ${r.status})`);
  return r.session;
}

// Row counts of every table a request could write: "changes nothing" is checked as equal snapshots.
const TABLES = [
  "User",
  "Dataset",
  "Image",
  "Vote",
  "ImportedTally",
  "GoldLabel",
  "ImportBatch",
  "DuplicatePair",
  "LabelSnapshot",
  "SoftLabel",
  "TrainingRun",
  "EpochMetric",
  "Evaluation",
] as const;

export async function rowCounts(db: TDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const rows = await db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${t}"`);
    out[t] = rows[0]!.n;
  }
  return out;
}
