// Who gets what: anonymous -> 401 JSON on APIs / redirect to /login on pages; annotators -> 403 on admin
// pages and APIs; session cookie flags; cross-origin mutations refused; login attempts rate-limited.
import { beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, login, newContext } from "../src/browser";
import { anonymous, signIn, type TSession } from "../src/http";

const API_ROUTES: [string, string][] = [
  ["GET", "/api/tasks/next"],
  ["POST", "/api/votes"],
  ["DELETE", "/api/votes/last"],
  ["GET", "/api/users"],
  ["POST", "/api/users"],
  ["PATCH", "/api/users/someone"],
  ["GET", "/api/images/any/png"],
];
const PAGES = ["/", "/label", "/admin/users", "/admin/datasets", "/admin/runs", "/research/agreement"];
const ADMIN_PAGES = ["/admin/users", "/admin/datasets", "/admin/snapshots", "/admin/runs"];

describe("anonymous", () => {
  it.each(API_ROUTES)("%s %s -> 401 JSON", async (method, path) => {
    const res = await anonymous(path, {
      method,
      headers: { "content-type": "application/json" },
      body: method === "GET" ? undefined : "{}",
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "Sign in required" });
  });

  it.each(PAGES)("page %s redirects to /login", async (path) => {
    const res = await anonymous(path);
    expect([302, 303, 307, 308]).toContain(res.status);
    expect(new URL(res.headers.get("location") ?? "", "http://x").pathname).toBe("/login");
  });
});

describe("annotator", () => {
  let annotator: TSession;
  beforeAll(async () => {
    const r = await signIn("annotator2");
    if (!r.session) throw new Error(`annotator2 could not sign in: ${r.error}`);
    annotator = r.session;
  });

  it.each(ADMIN_PAGES)("admin page %s -> 403 page", async (path) => {
    const res = await annotator.fetch(path);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("You do not have access to this page");
  });

  it("admin and research APIs -> 403 JSON", async () => {
    const list = await annotator.fetch("/api/users");
    expect(list.status).toBe(403);
    expect(((await list.json()) as { error: string }).error).toMatch(/requires role ADMIN/);
    const create = await annotator.fetch("/api/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x", email: "x@example.org", role: "ADMIN", password: "0123456789" }),
    });
    expect(create.status).toBe(403);
  });

  it("own APIs work", async () => {
    const res = await annotator.fetch("/api/tasks/next");
    expect(res.status).toBe(200);
  });

  it("a cross-origin mutation is refused even with the session cookie (CSRF)", async () => {
    const res = await annotator.fetch("/api/votes", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: JSON.stringify({ imageId: "x", label: "neutral", requestId: "csrf-test-0001" }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe("Cross-origin request refused");
  });
});

describe("session cookie and login", () => {
  it("is httpOnly and sameSite=lax", async () => {
    const r = await signIn("annotator2");
    const cookie = r.setCookies.find((c) => c.startsWith("next-auth.session-token="));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
  });

  it("wrong password gives no session", async () => {
    const r = await signIn("annotator2", "not-the-password", { "x-forwarded-for": "198.51.100.1" });
    expect(r.session).toBeNull();
    expect(r.error).toBe("CredentialsSignin");
  });

  it("rate-limits login attempts per email+IP (10/min), even with the right password", async () => {
    const ip = { "x-forwarded-for": "198.51.100.77" };
    for (let i = 0; i < 10; i++) {
      const r = await signIn("researcher", "wrong-password", ip);
      expect(r.error).toBe("CredentialsSignin");
    }
    const blocked = await signIn("researcher", undefined, ip);
    expect(blocked.session).toBeNull();
    expect(blocked.error).toMatch(/Too many login attempts/);
    // Another address is not affected.
    const other = await signIn("researcher", undefined, { "x-forwarded-for": "198.51.100.78" });
    expect(other.session).not.toBeNull();
  });
});

describe("logout", () => {
  it("Sign out ends the session: pages redirect to /login again", async () => {
    const browser = await launchBrowser();
    try {
      const page = await (await newContext(browser)).newPage();
      await login(page, "annotator1");
      expect(new URL(page.url()).pathname).toBe("/label");
      await Promise.all([page.waitForURL((u) => u.pathname === "/login"), page.click("text=Sign out")]);
      await page.goto("/label");
      expect(new URL(page.url()).pathname).toBe("/login");
      const cookies = await page.context().cookies();
      expect(cookies.find((c) => c.name === "next-auth.session-token")).toBeUndefined();
    } finally {
      await browser.close();
    }
  });
});
