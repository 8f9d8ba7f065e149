#!/usr/bin/env node
// Builds the optional native kernels (concord_kernels.c -> build/concord_kernels.node) with the system C
// compiler against Node's own headers. The sgemm under them is OpenBLAS's where it is installed (Debian:
// apt-get install libopenblas-dev), else our own blocked one (concord_sgemm.c), so a C compiler alone is
// enough. Without a compiler the trainer runs on WASM's kernels, so a failed build is a warning, unless
// --require (or CONCORD_REQUIRE_NATIVE=1). Skips the compile when the addon is newer than its sources and
// was built the way this call asks.
//
// Options: --sgemm auto|openblas|builtin (or CONCORD_NATIVE_SGEMM; default auto: OpenBLAS when found),
// --sgemm-isa generic|avx2|avx512 (builtin only: the widest x86 kernel it may pick at run time; default
// avx512, i.e. whatever the CPU has), --out FILE (default build/concord_kernels.node), --force, --require.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const here = import.meta.dirname;
const SGEMMS = ["auto", "openblas", "builtin"];
const ISAS = ["generic", "avx2", "avx512"];
const src = (f) => path.join(here, f);
const addonSources = ["concord_kernels.c", "concord_train.c", "concord_winograd.c"].map(src);
const builtinSgemm = src("concord_sgemm.c");
// Everything the build depends on, for the freshness check.
const sources = [
  ...addonSources,
  builtinSgemm,
  ...[
    "concord_napi.h",
    "concord_winograd.h",
    "concord_winograd_kernel.inc",
    "concord_sgemm.h",
    "concord_sgemm_kernel.inc",
    "build.mjs",
  ].map(src),
];

const { values: opts } = parseArgs({
  options: {
    sgemm: { type: "string" },
    "sgemm-isa": { type: "string", default: "avx512" },
    out: { type: "string", default: path.join(here, "build", "concord_kernels.node") },
    force: { type: "boolean", default: false },
    require: { type: "boolean", default: false },
  },
});
const required = opts.require || process.env.CONCORD_REQUIRE_NATIVE === "1";
// An empty variable counts as unset, as in the trainer's env schema.
const requested = opts.sgemm ?? (process.env.CONCORD_NATIVE_SGEMM || "auto");
const isa = opts["sgemm-isa"];
const out = path.resolve(opts.out);
const stampFile = `${out}.json`;

function usage(why) {
  console.error(`[trainer] native/build.mjs: ${why}`);
  process.exit(2);
}
if (!SGEMMS.includes(requested))
  usage(`--sgemm / CONCORD_NATIVE_SGEMM must be one of ${SGEMMS.join(", ")}, got "${requested}"`);
if (!ISAS.includes(isa)) usage(`--sgemm-isa must be one of ${ISAS.join(", ")}, got "${isa}"`);

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

const cc = process.env.CC ?? "cc";
const OPENBLAS_INCLUDE = "-I/usr/include/openblas";

/** Whether the compiler finds cblas.h (preprocessing only: a few ms). */
function hasOpenblasHeader() {
  try {
    execFileSync(cc, ["-E", "-x", "c", OPENBLAS_INCLUDE, "-o", "/dev/null", "-"], {
      input: "#include <cblas.h>\n",
      stdio: ["pipe", "ignore", "ignore"],
    });
    return true;
  } catch {
    return false;
  }
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, "utf8"));
  } catch {
    return null;
  }
}

function isFresh() {
  if (opts.force || !existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  if (sources.some((s) => statSync(s).mtimeMs > built)) return false;
  const stamp = readStamp();
  if (!stamp || stamp.requested !== requested || stamp.isa !== isa) return false;
  // auto built the fallback: rebuild once OpenBLAS has been installed since.
  return !(requested === "auto" && stamp.library === "builtin" && hasOpenblasHeader());
}

if (isFresh()) process.exit(0);

const includeCandidates = [
  path.resolve(path.dirname(process.execPath), "../include/node"),
  "/usr/include/node",
  "/usr/local/include/node",
];
const nodeInclude = includeCandidates.find((d) => existsSync(path.join(d, "node_api.h")));
if (!nodeInclude) fail(`Node's headers (node_api.h) not found in ${includeCandidates.join(", ")}`);
mkdirSync(path.dirname(out), { recursive: true });

const common = [
  "-O3",
  "-fno-math-errno",
  "-fPIC",
  "-shared",
  "-Wall",
  "-Wextra",
  "-Wno-unused-parameter",
  `-I${nodeInclude}`,
];
const ARGS = {
  openblas: [...common, OPENBLAS_INCLUDE, ...addonSources, "-o", `${out}.tmp`, "-lopenblas", "-lm"],
  builtin: [
    ...common,
    "-DCONCORD_BUILTIN_SGEMM",
    `-DCONCORD_SGEMM_MAX_ISA=${ISAS.indexOf(isa)}`,
    ...addonSources,
    builtinSgemm,
    "-o",
    `${out}.tmp`,
    "-lm",
  ],
};

/** Compiles one way; returns null, or the compiler's first lines of complaint. */
function compile(library) {
  try {
    execFileSync(cc, ARGS[library], { stdio: ["ignore", "inherit", "pipe"] });
    renameSync(`${out}.tmp`, out);
    return null;
  } catch (e) {
    return e.stderr ? String(e.stderr).trim().split("\n").slice(0, 3).join(" | ") : e.message;
  }
}

let library = requested === "auto" ? (hasOpenblasHeader() ? "openblas" : "builtin") : requested;
let note = requested === "auto" && library === "builtin" ? "OpenBLAS's cblas.h not found" : "";
let error = compile(library);
if (error && requested === "auto" && library === "openblas") {
  note = `OpenBLAS did not build (${error})`;
  library = "builtin";
  error = compile(library);
}
if (error) {
  const hint =
    library === "openblas"
      ? "install OpenBLAS (apt-get install libopenblas-dev) or build with --sgemm builtin"
      : "install a C compiler (apt-get install gcc)";
  fail(`${cc} failed (${error}); ${hint}`);
}
writeFileSync(stampFile, `${JSON.stringify({ requested, library, isa })}\n`);
const what = library === "openblas" ? "OpenBLAS sgemm" : `the builtin sgemm${note ? ` (${note})` : ""}`;
const shown = path.relative(process.cwd(), out);
console.error(`[trainer] native kernels built with ${what}: ${shown.startsWith("..") ? out : shown}`);
