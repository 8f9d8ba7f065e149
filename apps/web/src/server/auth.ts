import "server-only";
import { hash, verify } from "@node-rs/argon2";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import type { TRole } from "@/lib/roles";
import { db } from "./db";
import { getEnv } from "./env";
import { createRateLimiter, type TRateLimiter } from "./rate-limit";

const ZCredentials = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  password: z.string().min(1).max(1024),
});

// Attempts per email+client (CONCORD_LOGIN_LIMIT a minute), plus failures per email alone at 2x that,
// checked before argon2 runs: even behind a proxy that passes a client-chosen X-Forwarded-For, rotating it
// gives at most 2x the limit of guesses at one account per minute.
let limiters: { byEmailIp: TRateLimiter; byEmail: TRateLimiter } | undefined;
function loginLimiters() {
  const limit = getEnv().CONCORD_LOGIN_LIMIT;
  limiters ??= { byEmailIp: createRateLimiter(limit, 60_000), byEmail: createRateLimiter(limit * 2, 60_000) };
  return limiters;
}

// A real argon2id hash of a random string: unknown emails cost the same time as wrong passwords.
let dummyHash: Promise<string> | undefined;

// next-auth's authorize() gets headers, no socket address. Forwarding headers are any client's to set, so
// they name the client only behind a proxy that overwrites them (CONCORD_TRUST_PROXY=1); otherwise every
// direct client shares one key per email.
function clientIp(headers: Record<string, unknown> | undefined): string {
  if (!getEnv().CONCORD_TRUST_PROXY) return "direct";
  const fwd = headers?.["x-forwarded-for"];
  if (typeof fwd === "string" && fwd) return fwd.split(",")[0]!.trim();
  const real = headers?.["x-real-ip"];
  return typeof real === "string" && real ? real : "local";
}

export class LoginRateLimitedError extends Error {}

export async function checkCredentials(
  raw: unknown,
  ip: string,
): Promise<{ id: string; name: string; email: string; role: TRole } | null> {
  const parsed = ZCredentials.safeParse(raw);
  if (!parsed.success) return null;
  const { email, password } = parsed.data;
  const key = `${email}|${ip}`;
  const { byEmailIp, byEmail } = loginLimiters();
  const rate = byEmailIp.hit(key);
  const rateEmail = byEmail.check(email);
  if (!rate.allowed || !rateEmail.allowed) {
    const wait = Math.max(rate.allowed ? 0 : rate.retryAfterS, rateEmail.allowed ? 0 : rateEmail.retryAfterS);
    throw new LoginRateLimitedError(`Too many login attempts. Try again in ${wait} s.`);
  }
  const user = await db().user.findUnique({ where: { email } });
  if (!user) {
    dummyHash ??= hash(crypto.randomUUID());
    await verify(await dummyHash, password).catch(() => false);
    byEmail.hit(email);
    return null;
  }
  const ok = await verify(user.passwordHash, password).catch(() => false);
  if (!ok) {
    byEmail.hit(email);
    return null;
  }
  byEmailIp.reset(key);
  return { id: user.id, name: user.name, email: user.email, role: user.role };
}

export const authOptions: NextAuthOptions = {
  // Resolved on first use (not at build time): see server/env.ts.
  get secret() {
    return getEnv().NEXTAUTH_SECRET;
  },
  session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
  pages: { signIn: "/login" },
  providers: [
    CredentialsProvider({
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, req) {
        // next-auth turns a thrown error into `error` on the client: the rate-limit message reaches the form.
        return checkCredentials(credentials, clientIp(req?.headers));
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user) {
        token.id = user.id;
        token.role = (user as unknown as { role: TRole }).role;
      }
      return token;
    },
    async session({ session, token }) {
      session.user = { ...session.user, id: token.id, role: token.role };
      return session;
    },
  },
};
