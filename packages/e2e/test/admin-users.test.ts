// Admin user management in the browser: create (name rendered escaped), duplicate email refused, role change
// (confirmed).
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser, login, newContext, screenshot } from "../src/browser";
import { e2eDb } from "../src/db";

const db = e2eDb();
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await (await newContext(browser)).newPage();
  await login(page, "admin");
});
afterAll(async () => {
  await browser?.close();
  await db.$disconnect();
});

const XSS_NAME = `<img src=x onerror="window.__pwned=1">Mallory`;

it("creates a user whose HTML-looking name is shown as text", async () => {
  await page.goto("/admin/users");
  const form = page.locator('form[aria-label="Create user"]');
  await form.locator('input[name="name"]').fill(XSS_NAME);
  await form.locator('input[name="email"]').fill("mallory@example.org");
  await form.locator('select[name="role"]').selectOption("ANNOTATOR");
  await form.locator('input[name="password"]').fill("correct horse battery");
  await form.locator('button[type="submit"]').click();
  await expect.poll(() => page.textContent('[role="status"]')).toContain("Created mallory@example.org");
  const row = page.locator('[data-testid="user-row"]', { hasText: "mallory@example.org" });
  await expect.poll(() => row.count()).toBe(1);
  expect(await row.locator("td").first().textContent()).toContain(XSS_NAME);
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  const stored = await db.user.findUniqueOrThrow({ where: { email: "mallory@example.org" } });
  expect(stored.name).toBe(XSS_NAME);
  expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
  await screenshot(page, "admin-users");
});

it("refuses a duplicate email with a clear message and writes nothing", async () => {
  const before = await db.user.count();
  const form = page.locator('form[aria-label="Create user"]');
  await form.locator('input[name="name"]').fill("Second Mallory");
  await form.locator('input[name="email"]').fill("MALLORY@example.org");
  await form.locator('input[name="password"]').fill("another long password");
  await form.locator('button[type="submit"]').click();
  await expect.poll(() => page.textContent('[role="status"]')).toContain("already exists");
  expect(await db.user.count()).toBe(before);
});

it("changes a role after confirming it", async () => {
  const row = page.locator('[data-testid="user-row"]', { hasText: "mallory@example.org" });
  await row.locator('select[aria-label="Role"]').selectOption("RESEARCHER");
  await row.getByRole("button", { name: "Make researcher" }).click();
  await expect
    .poll(async () => (await db.user.findUniqueOrThrow({ where: { email: "mallory@example.org" } })).role)
    .toBe("RESEARCHER");
});
