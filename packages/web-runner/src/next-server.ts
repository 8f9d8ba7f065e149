// apps/web's production server (apps/web/server.mjs: Next's `next start` with the labelling loop's two routes
// called directly), ready when /login answers 200.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { repoRoot, webServerOf } from "./paths";
import { freePort } from "./port";
import { startServer, type TServerProcess } from "./process-group";

export type TWebServer = TServerProcess & { url: string; port: number };

export type TStartNextOptions = {
  port?: number; // default: a free loopback port from the OS
  listen?: "loopback" | "all"; // loopback (default) binds 127.0.0.1; all leaves Next's default (every interface)
  env?: Record<string, string | undefined>; // over process.env and the defaults below (DATABASE_URL, NEXTAUTH_SECRET, ...)
  nodeArgs?: string[]; // e.g. --cpu-prof: node flags NODE_OPTIONS refuses
  timeoutMs?: number; // until /login answers; default 60 s
  onOutput?: (text: string) => void;
  onSpawn?: (child: ChildProcess) => void;
  root?: string; // the checkout; default this one
};

export async function startNext(options: TStartNextOptions = {}): Promise<TWebServer> {
  const root = options.root ?? repoRoot;
  const listen = options.listen ?? "loopback";
  const port = options.port ?? (await freePort());
  const url = `http://${listen === "loopback" ? "127.0.0.1" : "localhost"}:${port}`;
  const hostArgs = listen === "loopback" ? ["-H", "127.0.0.1"] : [];
  const server = await startServer({
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), webServerOf(root), "-p", String(port), ...hostArgs],
    cwd: join(root, "apps/web"),
    env: {
      ...process.env,
      NEXTAUTH_URL: url,
      // A fresh secret per server unless the caller keeps sessions across restarts with its own.
      NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
      NEXT_TELEMETRY_DISABLED: "1",
      ...options.env,
      NODE_ENV: "production",
    },
    readyUrl: `${url}/login`,
    timeoutMs: options.timeoutMs,
    onOutput: options.onOutput,
    onSpawn: options.onSpawn,
  });
  return { ...server, url, port };
}
