/**
 * Training throughput of each model on the chosen tfjs backend, in-process and data-parallel, next to
 * PyTorch on the same topology (../shared/bench/torch_peer.py, Debian's python3-torch) measured in the
 * same run. Every model the run form offers by default (MODEL_NAMES, the default `fast-wide` included).
 * Usage: npm run bench -w @concord/trainer [-- --models seed,fast --batches 8 --threads 2 --rounds 2]
 */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { backendOptions, trainerEnv } from "../src/env";
import { GradientPool } from "../src/loop/gradient-pool";
import { Optimizer } from "../src/loop/optimizer";
import { makeShards, step } from "../src/loop/train-step";
import { buildModel, MODEL_NAMES, type TModelName } from "../src/model/model-factories";
import { hasPeer, peer, runPython, topologyFile } from "./torch-peer";

const { values: a } = parseArgs({
  options: {
    models: { type: "string", default: MODEL_NAMES.join(",") },
    batch: { type: "string", default: "64" },
    batches: { type: "string", default: "4" },
    workers: { type: "string", default: "1,2" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "2" },
    python: { type: "string", default: "/usr/bin/python3" },
  },
});
const batch = Number(a.batch);
const batches = Number(a.batches);

type TRate = { wall: number; cpuMsPerImage: number };

/** img/s over wall time, and CPU ms per image (all threads of this process, workers included). */
async function tfjsRate(name: TModelName, workers: number): Promise<TRate> {
  const model = buildModel({ name, classes: 8 });
  const opt = new Optimizer("adam", 1e-3, { momentum: 0, weightDecay: 0 });
  const pool = workers > 1 ? await GradientPool.create(model, workers - 1) : null;
  const x = Float32Array.from({ length: batch * 48 * 48 }, () => Math.random() * 2 - 1);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 8);
  const y = new Float32Array(batch * 8);
  labels.forEach((l, i) => {
    y[i * 8 + l] = 1;
  });
  const once = () => step(model, opt, pool, makeShards(x, y, null, labels, workers, 1));
  // vgg13 costs ~10x the others per image: half the timed batches keeps the whole bench in minutes.
  const timed = name === "vgg13" ? Math.max(2, Math.ceil(batches / 2)) : batches;
  try {
    for (let i = 0; i < (name === "vgg13" ? 1 : 2); i++) await once(); // warm-up: XNNPACK operator creation, worker JIT
    const t = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < timed; i++) await once();
    const used = process.cpuUsage(cpu);
    return {
      wall: (batch * timed) / ((performance.now() - t) / 1000),
      cpuMsPerImage: (used.user + used.system) / 1000 / (batch * timed),
    };
  } finally {
    await pool?.close();
    opt.dispose();
    model.dispose();
  }
}

function torchRate(name: TModelName, threads: number): { train: number; version: string } | null {
  if (!hasPeer()) return null;
  const args = [
    peer,
    topologyFile(name),
    "--batch",
    String(batch),
    "--batches",
    String(Math.max(batches, 10)),
  ];
  const line = runPython(
    a.python as string,
    [...args, "--warmup", "3", "--threads", String(threads)],
    `torch peer for ${name}`,
  );
  if (!line) return null;
  const r = JSON.parse(line) as { train_img_per_s: number; version: string };
  return { train: r.train_img_per_s, version: r.version };
}

/**
 * PyTorch CPU ms per training image on one thread, independent of how loaded the machine is: the network is
 * built by torch_peer.py's own `build` (same topology), and the training steps are timed with
 * time.process_time() (this process's CPU time). One thread, because OpenMP workers spin while waiting
 * and would bill that as CPU time.
 */
const TORCH_CPU = `
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch, torch.nn.functional as F
import torch_peer
torch.set_num_threads(1); torch.manual_seed(0)
net, (c, h, w), classes = torch_peer.build(json.load(open(sys.argv[2])))
opt = torch.optim.Adam(net.parameters(), 1e-3)
b, n = int(sys.argv[3]), int(sys.argv[4])
x = torch.rand(b, c, h, w); y = torch.randint(0, classes, (b,))
def step():
    opt.zero_grad(); F.cross_entropy(net(x), y).backward(); opt.step()
net.train()
for _ in range(2): step()
t = time.process_time()
for _ in range(n): step()
print((time.process_time() - t) * 1000 / (b * n))
`;

function torchCpuMsPerImage(name: TModelName): number | null {
  if (!hasPeer()) return null;
  const n = name === "vgg13" ? 2 : batches;
  const line = runPython(
    a.python as string,
    ["-c", TORCH_CPU, path.dirname(peer), topologyFile(name), String(batch), String(n)],
    `torch cpu probe for ${name}`,
  );
  return line === null ? null : Number(line);
}

const env = trainerEnv();
const backend = await initBackend(env.CONCORD_TF_BACKEND, backendOptions(env));
const threads = Number(a.threads);
const workerCounts = (a.workers as string).split(",").map(Number);
console.log(
  `backend ${backend.name}; batch ${batch}; ${batches} timed batches; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"})`,
);
console.log(`PyTorch peer: ${a.python} ${peer} --threads ${threads}`);
const rows: string[] = [];
for (const name of (a.models as string).split(",") as TModelName[]) {
  const params = (() => {
    const m = buildModel({ name, classes: 8 });
    const p = m.countParams();
    m.dispose();
    return p;
  })();
  // The machine is shared: rounds interleave tfjs and PyTorch and keep each one's best, so a load swing
  // does not favour whichever ran in the quieter minute.
  const rates = new Map<number, TRate>();
  let torch: { train: number; version: string } | null = null;
  for (let round = 0; round < Number(a.rounds); round++) {
    for (const w of workerCounts) {
      const r = await tfjsRate(name, w);
      const prev = rates.get(w);
      if (!prev || r.wall > prev.wall) rates.set(w, r);
    }
    const t = torchRate(name, threads);
    if (t && (!torch || t.train > torch.train)) torch = t;
  }
  const best = Math.max(...[...rates.values()].map((r) => r.wall));
  const cells = workerCounts
    .map(
      (w) =>
        `tfjs x${w} ${(rates.get(w)?.wall ?? 0).toFixed(1)} img/s (${(rates.get(w)?.cpuMsPerImage ?? 0).toFixed(0)} cpu-ms/img)`,
    )
    .join("  ");
  const torchCpu = torchCpuMsPerImage(name);
  const tfjsCpu = rates.get(1)?.cpuMsPerImage;
  const line = `${name.padEnd(10)} ${(params / 1e6).toFixed(2)}M params  ${cells}  pytorch(${threads} threads) ${torch ? torch.train.toFixed(1) : "n/a"} img/s  ratio ${torch ? (best / torch.train).toFixed(2) : "n/a"}x | per core: pytorch ${torchCpu ? torchCpu.toFixed(0) : "n/a"} cpu-ms/img vs tfjs ${tfjsCpu ? tfjsCpu.toFixed(0) : "n/a"} -> ${torchCpu && tfjsCpu ? (torchCpu / tfjsCpu).toFixed(2) : "n/a"}x`;
  console.log(line);
  rows.push(line);
}
console.log(`tensors alive at end: ${tf.memory().numTensors}`);
