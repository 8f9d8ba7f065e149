#!/usr/bin/env node
// Builds the optional native kernels (concord_kernels.c -> build/concord_kernels.node) with the system C
// compiler against Node's own headers and OpenBLAS (Debian: apt-get install gcc libopenblas-dev).
// Without them the trainer runs on WASM's kernels, so a failed build is a warning, unless --require.
// Skips the compile when the addon is newer than its source.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";

const here = import.meta.dirname;
const source = path.join(here, "concord_kernels.c");
const out = path.join(here, "build", "concord_kernels.node");
const required = process.argv.includes("--require") || process.env.CONCORD_REQUIRE_NATIVE === "1";
const force = process.argv.includes("--force");

function fail(why) {
  const msg = `[trainer] native kernels not built: ${why}. Training falls back to WASM kernels (about 4x slower).`;
  if (required) {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}

if (process.env.CONCORD_NATIVE_KERNELS === "0") fail("CONCORD_NATIVE_KERNELS=0");
if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) process.exit(0);

const includeCandidates = [
  path.resolve(path.dirname(process.execPath), "../include/node"),
  "/usr/include/node",
  "/usr/local/include/node",
];
const nodeInclude = includeCandidates.find((d) => existsSync(path.join(d, "node_api.h")));
if (!nodeInclude) fail(`Node's headers (node_api.h) not found in ${includeCandidates.join(", ")}`);
const cc = process.env.CC ?? "cc";
mkdirSync(path.dirname(out), { recursive: true });
const args = [
  "-O3",
  "-fPIC",
  "-shared",
  "-Wall",
  "-Wextra",
  "-Wno-unused-parameter",
  `-I${nodeInclude}`,
  "-I/usr/include/openblas",
  source,
  "-o",
  `${out}.tmp`,
  "-lopenblas",
];
try {
  execFileSync(cc, args, { stdio: ["ignore", "inherit", "pipe"] });
  execFileSync("mv", [`${out}.tmp`, out]);
} catch (e) {
  const stderr = e.stderr ? String(e.stderr).trim().split("\n").slice(0, 3).join(" | ") : e.message;
  fail(`${cc} failed (${stderr}); install a C compiler and OpenBLAS (apt-get install gcc libopenblas-dev)`);
}
console.error(`[trainer] native kernels built: ${path.relative(process.cwd(), out)}`);
