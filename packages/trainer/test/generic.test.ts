import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { loadDataFolder } from "../src/data/data-folder";

const root = mkdtempSync(path.join(os.tmpdir(), "concord-generic-"));

function face(file: string, size: number, value: number): void {
  const png = new PNG({ width: size, height: size });
  png.data.fill(value);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, PNG.sync.write(png));
}

describe("generic folder (PNGs + votes.csv + gold.csv)", () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("aggregates votes with @concord/crowd, resizes faces and uses gold for evaluation", async () => {
    face(path.join(root, "a.png"), 48, 200);
    face(path.join(root, "b.png"), 96, 100);
    face(path.join(root, "c.png"), 48, 50);
    face(path.join(root, "test/t1.png"), 48, 10);
    writeFileSync(
      path.join(root, "votes.csv"),
      "task,worker,label\na,w1,happiness\na,w2,happiness\na,w3,neutral\nb.png,w1,sadness\nb,w2,3\nc,w1,not-a-face\nt1,w1,anger\n",
    );
    writeFileSync(path.join(root, "gold.csv"), "task,label\nt1,fear\n");
    const d = await loadDataFolder(root, { scheme: "crossentropy", eps: 0.2, smoothing: "crowd" });
    expect(Array.from(d.train.labels)).toEqual([1, 3]); // c's consensus is not-a-face: not trained on
    expect(d.train.targets[1]).toBeCloseTo(0.8 + 0.2 * (2 / 3), 5);
    expect(d.train.pixels[48 * 48 + 5]).toBe(100); // the 96x96 face was resampled to 48x48
    expect(Array.from(d.test?.labels ?? [])).toEqual([6]);
  });

  it("names the file and line of a bad vote", async () => {
    writeFileSync(path.join(root, "votes.csv"), "task,worker,label\na,w1,happy-ish\n");
    await expect(
      loadDataFolder(root, { scheme: "crossentropy", eps: 0.2, smoothing: "crowd" }),
    ).rejects.toThrow(/votes.csv:2: unknown label "happy-ish"/);
  });
});
