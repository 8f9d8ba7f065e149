// Plain HTTP against the e2e server: sign in with next-auth's credentials flow and keep the cookie.
import { ACCOUNTS, E2E_PASSWORD, type TAccount } from "./accounts";
import { baseUrl } from "./browser";

export type TSession = { cookie: string; fetch: (path: string, init?: RequestInit) => Promise<Response> };

function cookiesOf(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]!);
}

export async function signIn(
  who: TAccount | { email: string },
  password = E2E_PASSWORD,
  headers: Record<string, string> = {},
): Promise<{ status: number; session: TSession | null; error: string | null; setCookies: string[] }> {
  const email = typeof who === "string" ? ACCOUNTS[who].email : who.email;
  const csrfRes = await fetch(`${baseUrl()}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const jar = cookiesOf(csrfRes);
  const res = await fetch(`${baseUrl()}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.join("; "), ...headers },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }),
  });
  const setCookies = res.headers.getSetCookie();
  const sessionCookie = cookiesOf(res).find((c) => c.startsWith("next-auth.session-token="));
  // With json=true next-auth answers { url } instead of redirecting; failures carry ?error=… in it.
  const body = (await res.json().catch(() => ({}))) as { url?: string };
  const target = body.url ?? res.headers.get("location") ?? "/";
  const error = new URL(target, baseUrl()).searchParams.get("error");
  if (!sessionCookie) return { status: res.status, session: null, error, setCookies };
  const cookie = sessionCookie;
  return {
    status: res.status,
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
