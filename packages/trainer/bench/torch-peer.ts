// The PyTorch peer of the benches: ../shared/bench/torch_peer.py (Debian's python3-torch) builds the same
// network from our model's Keras topology. Helpers shared by train-bench and predict-bench.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildModel, type TModelName } from "../src/model/model-factories";

const repo = path.resolve(import.meta.dirname, "../../..");
const shared = process.env.CONCORD_SHARED ?? path.resolve(repo, "../shared");
export const peer = path.join(shared, "bench/torch_peer.py");

export function hasPeer(): boolean {
  return existsSync(peer);
}

/** Writes the model's topology where torch_peer.py can read it; returns the file. */
export function topologyFile(name: TModelName): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "concord-bench-"));
  const file = path.join(dir, "model.json");
  const model = buildModel({ name, classes: 8 });
  writeFileSync(file, JSON.stringify({ modelTopology: model.toJSON(null, false) }));
  model.dispose();
  return file;
}

/** Runs python with these arguments and returns its last stdout line, or null (the error is printed). */
export function runPython(python: string, args: string[], what: string): string | null {
  try {
    const out = execFileSync(python, args, { encoding: "utf8" });
    return out.trim().split("\n").pop() ?? null;
  } catch (e) {
    console.error(`${what} failed: ${(e as Error).message.split("\n")[0]}`);
    return null;
  }
}
