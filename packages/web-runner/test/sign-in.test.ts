import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, signInCookie } from "../src/sign-in";

// next-auth's credentials endpoints as the runner sees them: the csrf token must come back both in the form
// and in the cookie set by /api/auth/csrf, else no session.
let server: Server;
let baseUrl: string;
let lastForwardedFor: string | undefined;

async function bodyOf(req: IncomingMessage): Promise<URLSearchParams> {
  let text = "";
  for await (const c of req) text += c;
  return new URLSearchParams(text);
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (req.url === "/api/auth/csrf") {
      res.setHeader("set-cookie", "next-auth.csrf-token=tok%7Chash; Path=/; HttpOnly");
      res.end(JSON.stringify({ csrfToken: "tok" }));
      return;
    }
    const form = await bodyOf(req);
    lastForwardedFor = req.headers["x-forwarded-for"] as string | undefined;
    const csrfOk =
      form.get("csrfToken") === "tok" && req.headers.cookie?.includes("next-auth.csrf-token=tok");
    if (csrfOk && form.get("email") === "a@x.test" && form.get("password") === "right") {
      res.setHeader("set-cookie", [
        "next-auth.callback-url=%2F; Path=/",
        "next-auth.session-token=jwt123; Path=/; HttpOnly; SameSite=Lax",
      ]);
      res.end(JSON.stringify({ url: "http://127.0.0.1/" }));
      return;
    }
    res.end(JSON.stringify({ url: "http://127.0.0.1/api/auth/error?error=CredentialsSignin" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => server.close());

describe("signIn", () => {
  it("returns the session cookie, ready for a Cookie header", async () => {
    const r = await signIn(baseUrl, "a@x.test", "right", { "x-forwarded-for": "10.0.0.9" });
    expect(r).toMatchObject({ status: 200, cookie: "next-auth.session-token=jwt123", error: null });
    expect(r.setCookies.some((c) => c.includes("HttpOnly; SameSite=Lax"))).toBe(true);
    expect(lastForwardedFor).toBe("10.0.0.9");
  });

  it("reports next-auth's error on a wrong password", async () => {
    const r = await signIn(baseUrl, "a@x.test", "wrong");
    expect(r).toMatchObject({ cookie: null, error: "CredentialsSignin" });
    await expect(signInCookie(baseUrl, "a@x.test", "wrong")).rejects.toThrow(
      /sign-in failed for a@x.test \(HTTP 200, CredentialsSignin\)/,
    );
    expect(await signInCookie(baseUrl, "a@x.test", "right")).toBe("next-auth.session-token=jwt123");
  });
});
