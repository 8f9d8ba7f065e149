#!/usr/bin/env node
// `npm start`: installs dependencies when they are missing, then hands over to the TypeScript launcher.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
if (
  !existsSync(join(root, "node_modules", "tsx")) ||
  !existsSync(join(root, "node_modules", ".package-lock.json"))
) {
  console.log("concord: installing dependencies (npm install)…");
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const { register } = await import("tsx/esm/api");
register();
await import("./src/main.ts");
