/**
 * The builtin sgemm (native/concord_sgemm.c) against OpenBLAS's, in one run. Both addon builds are made with
 * native/build.mjs under native/build/bench/ (the builtin one also capped at each --caps kernel: AVX2 by
 * default, what a CPU without AVX-512 runs), then:
 * 1. per layer of the fast model (batch 64): CPU ms per call of conv2d, conv2dBackpropFilter and
 *    conv2dBackpropInput, and of the dense layer's three gemms, on each build; ratio = OpenBLAS ms / builtin
 *    ms (1.00: as fast). Calls interleave the builds; the median of --reps is kept.
 * 2. fast-model training throughput, one thread in-process (batch 64, Adam): img per CPU-second and per
 *    wall-second on WASM's kernels, on the native kernels over OpenBLAS, and over the builtin sgemm; rounds
 *    interleave the kernel sets.
 * CPU time, not wall time, is the figure to read on a shared machine; the load average is printed.
 * Usage: npm run bench:sgemm -w @concord/trainer [-- --reps 5 --rounds 3 --steps 2 --batch 64 --caps avx2,generic]
 * (--caps: the capped builtin builds to add, default avx2)
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "../src/backend";
import { loadAddonFile, type TAddon, useNativeAddon, useNativeKernels } from "../src/kernels/native-kernels";
import { Optimizer } from "../src/loop/optimizer";
import { makeShards, step } from "../src/loop/train-step";
import { buildModel } from "../src/model/model-factories";

const { values: a } = parseArgs({
  options: {
    reps: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    steps: { type: "string", default: "2" },
    batch: { type: "string", default: "64" },
    caps: { type: "string", default: "avx2" },
  },
});
const batch = Number(a.batch);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

// --- the builds -----------------------------------------------------------------------------------------
const native = path.resolve(import.meta.dirname, "../native");
function buildAddon(name: string, args: string[]): TAddon | null {
  const out = path.join(native, "build", "bench", `${name}.node`);
  try {
    execFileSync(process.execPath, [path.join(native, "build.mjs"), ...args, "--out", out, "--require"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    return loadAddonFile(out);
  } catch (e) {
    console.log(`${name}: not built (${String((e as { stderr?: Buffer }).stderr ?? e).trim()})`);
    return null;
  }
}
const builds = new Map<string, TAddon>();
const caps = (a.caps as string).split(",").filter(Boolean);
for (const [name, args] of [
  ["openblas", ["--sgemm", "openblas"]],
  ["builtin", ["--sgemm", "builtin"]],
  ...caps.map((cap) => [`builtin-${cap}`, ["--sgemm", "builtin", "--sgemm-isa", cap]]),
] as [string, string[]][]) {
  const addon = buildAddon(name, args);
  if (addon) builds.set(name, addon);
}
const reference = builds.has("openblas") ? "openblas" : undefined;
console.log(
  `${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores, load average ${load()}; batch ${batch}; sgemm kernels: ${[
    ...builds,
  ]
    .map(([n, b]) => `${n} = ${b.sgemmKernel}`)
    .join(", ")}`,
);

// --- 1. per layer -----------------------------------------------------------------------------------------
type TOp = { name: string; run: (addon: TAddon) => void };

function rand(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
}

/** The three convolution calls of a 3x3 "same" layer; the first layer's input gradient is never asked for. */
function convOps(h: number, ci: number, co: number): TOp[] {
  const p = Int32Array.from([batch, h, h, ci, 3, 3, co, h, h, 1, 1, 1, 1, 1, 1]);
  const x = rand(batch * h * h * ci);
  const f = rand(9 * ci * co);
  const dy = rand(batch * h * h * co);
  const y = new Float32Array(dy.length);
  const dx = new Float32Array(x.length);
  const df = new Float32Array(f.length);
  const at = `${h}x${h}x${ci}->${co}`;
  const ops: TOp[] = [
    { name: `conv ${at} forward`, run: (b) => b.conv2d(x, f, y, p) },
    { name: `conv ${at} bpFilter`, run: (b) => b.conv2dBackpropFilter(x, dy, df, p) },
  ];
  if (ci > 1) ops.push({ name: `conv ${at} bpInput`, run: (b) => b.conv2dBackpropInput(dy, f, dx, p) });
  return ops;
}

/** The dense layer x[batch, k] W[k, n]: forward, weight gradient x^T dy, input gradient dy W^T. */
function denseOps(k: number, n: number): TOp[] {
  const x = rand(batch * k);
  const w = rand(k * n);
  const dy = rand(batch * n);
  const out = new Float32Array(Math.max(batch * n, k * n, batch * k));
  const gemm = (m: number, nn: number, kk: number, ta: number, tb: number) =>
    Int32Array.from([1, m, nn, kk, ta, tb, 0, 0]);
  const at = `${k}->${n}`;
  return [
    { name: `dense ${at} forward`, run: (b) => b.gemm(x, w, out, gemm(batch, n, k, 0, 0)) },
    { name: `dense ${at} dW`, run: (b) => b.gemm(x, dy, out, gemm(k, n, batch, 1, 0)) },
    { name: `dense ${at} dX`, run: (b) => b.gemm(dy, w, out, gemm(batch, k, n, 0, 1)) },
  ];
}

const ops = [
  ...convOps(48, 1, 32),
  ...convOps(24, 32, 64),
  ...convOps(24, 64, 64),
  ...convOps(12, 64, 128),
  ...convOps(12, 128, 128),
  ...convOps(6, 128, 256),
  ...denseOps(2304, 256),
];

function cpuMs(fn: () => void): number {
  const c = process.cpuUsage();
  fn();
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)] as number;
}

const names = [...builds.keys()];
const compared = reference ? names.filter((n) => n !== reference) : [];
const ratioHeads = compared.map((n) => `  ${reference} / ${n}`);
/** One table row: a label, CPU ms per build, then each builtin build's ratio to OpenBLAS. */
function row(label: string, ms: Map<string, number>, digits: number): string {
  const ref = reference ? (ms.get(reference) as number) : 0;
  return `${label.padEnd(34)}${names.map((n) => (ms.get(n) ?? 0).toFixed(digits).padStart(13)).join("")}${compared
    .map((n, i) => (ref / (ms.get(n) as number)).toFixed(2).padStart((ratioHeads[i] as string).length))
    .join("")}`;
}
console.log(
  `\n1. CPU ms per call (median of ${a.reps}), ratio = OpenBLAS ms / builtin ms\n${"layer call".padEnd(34)}${names
    .map((n) => n.padStart(13))
    .join("")}${ratioHeads.join("")}`,
);
const totals = new Map(names.map((n) => [n, 0]));
for (const op of ops) {
  for (const b of builds.values()) op.run(b); // warm-up: scratch and packing buffers
  const times = new Map(names.map((n) => [n, [] as number[]]));
  for (let r = 0; r < Number(a.reps); r++)
    for (const [n, b] of builds) times.get(n)?.push(cpuMs(() => op.run(b)));
  const ms = new Map(names.map((n) => [n, median(times.get(n) ?? [])]));
  for (const n of names) totals.set(n, (totals.get(n) ?? 0) + (ms.get(n) ?? 0));
  console.log(row(op.name, ms, 2));
}
console.log(row("all layers", totals, 1));

// --- 2. training throughput ---------------------------------------------------------------------------------
await initBackend("wasm", { nativeKernels: false, quiet: true });
const model = buildModel({ name: "fast", classes: 8 });
const opt = new Optimizer("adam", 1e-3, { momentum: 0, weightDecay: 0 });
const x = rand(batch * 48 * 48);
const labels = Int32Array.from({ length: batch }, (_, i) => i % 8);
const y = new Float32Array(batch * 8);
labels.forEach((l, i) => {
  y[i * 8 + l] = 1;
});
const once = () => step(model, opt, null, makeShards(x, y, null, labels, 1, 1));

const sets = ["wasm", ...names];
function use(set: string): void {
  const addon = builds.get(set);
  if (addon) useNativeAddon(addon);
  if (useNativeKernels(set !== "wasm") !== (set !== "wasm")) throw new Error(`could not switch to ${set}`);
}
const spent = new Map(sets.map((s) => [s, { images: 0, cpu: 0, wall: 0 }]));
for (let round = 0; round < Number(a.rounds); round++) {
  for (const set of sets) {
    use(set);
    if (round === 0) await once(); // warm-up: XNNPACK operators, scratch buffers
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < Number(a.steps); i++) await once();
    const u = process.cpuUsage(c);
    const s = spent.get(set) as { images: number; cpu: number; wall: number };
    s.images += batch * Number(a.steps);
    s.cpu += (u.user + u.system) / 1e6;
    s.wall += (performance.now() - t) / 1000;
  }
}
const rate = (set: string) => {
  const s = spent.get(set) as { images: number; cpu: number; wall: number };
  return { cpu: s.images / s.cpu, wall: s.images / s.wall };
};
console.log(
  `\n2. fast model training, 1 thread, batch ${batch}, ${a.rounds} rounds x ${a.steps} steps per kernel set`,
);
for (const set of sets) {
  const r = rate(set);
  const vs = (other: string) =>
    builds.has(other) || other === "wasm" ? `${(r.cpu / rate(other).cpu).toFixed(2)}x ${other}` : "";
  console.log(
    `${(set === "wasm" ? "wasm kernels" : `native, ${set}`).padEnd(24)} ${r.cpu.toFixed(1).padStart(7)} img/CPU-s ${r.wall
      .toFixed(1)
      .padStart(
        7,
      )} img/s wall   ${set === "wasm" ? "" : [vs("wasm"), set === reference ? "" : vs(reference ?? "")].filter(Boolean).join(", ")}`,
  );
}
opt.dispose();
model.dispose();
console.log(`load average at the end ${load()}`);
