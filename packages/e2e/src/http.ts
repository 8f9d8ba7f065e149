// Plain HTTP against the e2e server: sign in with next-auth's credentials flow and keep the cookie.
import { signIn as signInOverHttp } from "@concord/web-runner";
import { ACCOUNTS, E2E_PASSWORD, type TAccount } from "./accounts";
import { baseUrl } from "./browser";

export type TSession = { cookie: string; fetch: (path: string, init?: RequestInit) => Promise<Response> };

export async function signIn(
  who: TAccount | { email: string },
  password = E2E_PASSWORD,
  headers: Record<string, string> = {},
): Promise<{ status: number; session: TSession | null; error: string | null; setCookies: string[] }> {
  const email = typeof who === "string" ? ACCOUNTS[who].email : who.email;
  const { status, cookie, error, setCookies } = await signInOverHttp(baseUrl(), email, password, headers);
  if (!cookie) return { status, session: null, error, setCookies };
  return {
    status,
    error: null,
    setCookies,
    session: {
      cookie,
      fetch: (path, init = {}) =>
        fetch(`${baseUrl()}${path}`, {
          redirect: "manual",
          ...init,
          headers: { ...(init.headers as Record<string, string> | undefined), cookie },
        }),
    },
  };
}

export function anonymous(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${baseUrl()}${path}`, { redirect: "manual", ...init });
}
