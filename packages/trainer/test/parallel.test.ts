import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../src/backend";
import { train } from "../src/loop/train";
import type { TTrainConfig } from "../src/types";
import { toyData, weightsOf } from "./helpers";

const tmp = mkdtempSync(path.join(os.tmpdir(), "concord-parallel-"));
const cfg: Partial<TTrainConfig> = {
  model: "fast-lite",
  batchSize: 8,
  learningRate: 3e-3,
  seed: 11,
  epochs: 2,
  workers: 2,
  earlyStoppingPatience: 0,
};

describe("data-parallel workers", () => {
  beforeAll(async () => {
    await initBackend("wasm", { quiet: true });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("trains with 2 workers and resumes to the same weights as an uninterrupted run", async () => {
    const data = toyData(18, 4);
    const full = await train(data, cfg);
    expect(full.history[1]?.loss).toBeLessThan(full.history[0]?.loss as number);
    const dir = path.join(tmp, "ck");
    const controller = new AbortController();
    await expect(
      train(data, cfg, {
        checkpointDir: dir,
        signal: controller.signal,
        onEpoch: (m) => void (m.epoch === 1 && controller.abort()),
      }),
    ).rejects.toThrow(/abort/i);
    const resumed = await train(data, cfg, { checkpointDir: dir, resume: true });
    expect(await weightsOf(resumed.model)).toEqual(await weightsOf(full.model));
    full.model.dispose();
    resumed.model.dispose();
  });
});
