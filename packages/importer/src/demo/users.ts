import { randomBytes } from "node:crypto";
import type { TDb } from "@concord/db";
import { hash } from "@node-rs/argon2";

export const DEMO_USERS = [
  { email: "admin@concord.local", name: "Admin", role: "ADMIN" },
  { email: "researcher@concord.local", name: "Researcher", role: "RESEARCHER" },
  { email: "annotator1@concord.local", name: "Annotator One", role: "ANNOTATOR" },
  { email: "annotator2@concord.local", name: "Annotator Two", role: "ANNOTATOR" },
] as const;

// The plain password is returned only when the account is created, so the start script can print it once;
// existing accounts keep their password ("unchanged").
export type TDemoUser = { email: string; role: string; status: "created" | "unchanged"; password?: string };

export async function ensureDemoUsers(db: TDb): Promise<TDemoUser[]> {
  const out: TDemoUser[] = [];
  for (const u of DEMO_USERS) {
    const existing = await db.user.findUnique({ where: { email: u.email }, select: { id: true } });
    if (existing) {
      out.push({ email: u.email, role: u.role, status: "unchanged" });
      continue;
    }
    // 16 random bytes: ~128 bits, base64url so it can be typed/pasted without quoting.
    const password = randomBytes(16).toString("base64url");
    const created = await db.user.createMany({
      data: [{ email: u.email, name: u.name, role: u.role, passwordHash: await hash(password) }],
      skipDuplicates: true,
    });
    // Another process may have created it between the lookup and the insert: then it is not ours to print.
    out.push(
      created.count === 1
        ? { email: u.email, role: u.role, status: "created", password }
        : { email: u.email, role: u.role, status: "unchanged" },
    );
  }
  return out;
}
