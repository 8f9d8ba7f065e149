// next-auth's credentials sign-in over plain HTTP: GET /api/auth/csrf (token + its cookie), then POST
// /api/auth/callback/credentials with both; a session cookie comes back on success.
export type TSignIn = {
  status: number;
  cookie: string | null; // "next-auth.session-token=…", ready for a Cookie header
  error: string | null; // next-auth's ?error=… on failure
  setCookies: string[]; // every Set-Cookie of the callback, attributes included
};

function cookiesOf(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]!);
}

export async function signIn(
  baseUrl: string,
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<TSignIn> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      cookie: cookiesOf(csrfRes).join("; "),
      ...headers,
    },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }),
  });
  const setCookies = res.headers.getSetCookie();
  const cookie = cookiesOf(res).find((c) => c.startsWith("next-auth.session-token=")) ?? null;
  // With json=true next-auth answers { url } instead of redirecting; failures carry ?error=… in it.
  const body = (await res.json().catch(() => ({}))) as { url?: string };
  const target = body.url ?? res.headers.get("location") ?? "/";
  const error = cookie ? null : new URL(target, baseUrl).searchParams.get("error");
  return { status: res.status, cookie, error, setCookies };
}

// For callers that only go on signed in: the session cookie, or an error naming the account.
export async function signInCookie(baseUrl: string, email: string, password: string): Promise<string> {
  const r = await signIn(baseUrl, email, password);
  if (!r.cookie)
    throw new Error(`sign-in failed for ${email} (HTTP ${r.status}${r.error ? `, ${r.error}` : ""})`);
  return r.cookie;
}
