/**
 * Batched inference throughput (what a predict job does per image) on the chosen tfjs backend with 1 and 2
 * inference threads, next to PyTorch's inference of the same network (built by ../shared/bench/torch_peer.py
 * from our topology) in the same run, same batch sizes, same thread counts. Rounds interleave the two and
 * keep each one's best, so a load swing on the shared machine does not favour one side.
 * By default the network a run trains by default (DEFAULT_CONFIG.model, `fast-wide`): what a predict job meets.
 * Usage: npm run bench:predict -w @concord/trainer [-- --models fast --batches 64,256 --images 2048 --rounds 2]
 */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { backendLabel, initBackend } from "../src/backend";
import { backendOptions, trainerEnv } from "../src/env";
import { createInferencePool, predictProbabilities } from "../src/evaluation/evaluate";
import { DEFAULT_CONFIG } from "../src/loop/train-config";
import { buildModel, type TModelName } from "../src/model/model-factories";
import { hasPeer, peer, runPython, topologyFile } from "./torch-peer";

const { values: a } = parseArgs({
  options: {
    models: { type: "string", default: DEFAULT_CONFIG.model },
    batches: { type: "string", default: "64,256" },
    images: { type: "string", default: "2048" },
    threads: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "2" },
    python: { type: "string", default: "/usr/bin/python3" },
  },
});
const images = Number(a.images);
const batchSizes = (a.batches as string).split(",").map(Number);
const threadCounts = (a.threads as string).split(",").map(Number);

type TRate = { wall: number; cpuMsPerImage: number };

/** tfjs: img/s over wall time and CPU ms per image (all threads of this process) for `images` raw faces. */
async function tfjsRate(name: TModelName, threads: number, batch: number): Promise<TRate> {
  const model = buildModel({ name, classes: 8 });
  const pixels = Uint8Array.from({ length: images * 48 * 48 }, () => Math.floor(Math.random() * 256));
  const pool = await createInferencePool(model, threads);
  try {
    // Warm-up: kernel setup and the threads' first calls.
    await predictProbabilities(model, pixels.subarray(0, batch * threads * 48 * 48), {
      batchSize: batch,
      pool: pool ?? undefined,
    });
    const t = performance.now();
    const cpu = process.cpuUsage();
    await predictProbabilities(model, pixels, { batchSize: batch, pool: pool ?? undefined });
    const used = process.cpuUsage(cpu);
    return {
      wall: images / ((performance.now() - t) / 1000),
      cpuMsPerImage: (used.user + used.system) / 1000 / images,
    };
  } finally {
    await pool?.close();
    model.dispose();
  }
}

/** PyTorch eval-mode inference, no_grad, on the network torch_peer.py builds from the same topology. */
const TORCH_INFER = `
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch, torch_peer
threads, batch, n = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads); torch.manual_seed(0)
net, (c, h, w), classes = torch_peer.build(json.load(open(sys.argv[2])))
net.eval()
x = torch.rand(n, c, h, w)
with torch.no_grad():
    net(x[:batch])
    t, cpu = time.perf_counter(), time.process_time()
    for s in range(0, n, batch):
        torch.softmax(net(x[s:s + batch]), 1)
    wall, used = time.perf_counter() - t, time.process_time() - cpu
print(json.dumps({"version": torch.__version__, "img_per_s": n / wall, "cpu_ms_per_img": used * 1000 / n}))
`;

function torchRate(name: TModelName, threads: number, batch: number): (TRate & { version: string }) | null {
  if (!hasPeer()) return null;
  const args = ["-c", TORCH_INFER, path.dirname(peer), topologyFile(name)];
  const line = runPython(
    a.python as string,
    [...args, String(threads), String(batch), String(images)],
    "torch",
  );
  if (!line) return null;
  const r = JSON.parse(line) as { version: string; img_per_s: number; cpu_ms_per_img: number };
  return { wall: r.img_per_s, cpuMsPerImage: r.cpu_ms_per_img, version: r.version };
}

const env = trainerEnv();
const backend = await initBackend(env.CONCORD_TF_BACKEND, backendOptions(env));
console.log(
  `backend ${backendLabel(backend)}; ${images} images per measure; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; ${os.cpus().length} cores`,
);
console.log(`PyTorch peer: ${a.python}, network from ${peer} (eval mode, no_grad, softmax)`);
const better = (x: TRate | null | undefined, y: TRate | null) => (y && (!x || y.wall > x.wall) ? y : x);
for (const name of (a.models as string).split(",") as TModelName[]) {
  for (const batch of batchSizes) {
    for (const threads of threadCounts) {
      let ours: TRate | undefined;
      let theirs: (TRate & { version?: string }) | null | undefined;
      for (let round = 0; round < Number(a.rounds); round++) {
        ours = better(ours, await tfjsRate(name, threads, batch)) as TRate;
        theirs = better(theirs, torchRate(name, threads, batch));
      }
      const fmt = (r: TRate | null | undefined) =>
        r ? `${r.wall.toFixed(1)} img/s (${r.cpuMsPerImage.toFixed(1)} cpu-ms/img)` : "n/a";
      const ratio = ours && theirs ? `${(ours.wall / theirs.wall).toFixed(2)}x` : "n/a";
      console.log(
        `${name.padEnd(9)} batch ${String(batch).padStart(4)}  ${threads} thread${threads > 1 ? "s" : " "}  tfjs ${fmt(ours)}  pytorch ${fmt(theirs)}  ours/pytorch ${ratio}`,
      );
    }
  }
}
console.log(`tensors alive at end: ${tf.memory().numTensors}`);
