// Imports the whole FER+ folder into a fresh database and prints the figures the README quotes:
//   npm run bench -w @concord/importer            (FER+ path: CONCORD_FERPLUS or <CONCORD_SHARED>/datasets/ferplus)
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@concord/db/testing";
import { defaultFerplusPath } from "../src/demo/index";
import { importDataset } from "../src/import";
import { formatLeakSummary } from "../src/leaks";
import { writeFer2013FromFerplus } from "./make-fer2013";

const path = defaultFerplusPath();
if (!path) {
  console.error("FER+ folder not found: set CONCORD_FERPLUS or CONCORD_SHARED");
  process.exit(1);
}
const t = await createTestDatabase("concord_bench");
try {
  // Experiment for the schema owner: keep the 2,304-byte pixel rows inline instead of TOASTing them.
  if (process.env.CONCORD_BENCH_INLINE_PIXELS) {
    await t.db.$executeRawUnsafe(`ALTER TABLE "Image" SET (toast_tuple_target = 4080)`);
    console.log(`"Image" toast_tuple_target = 4080 (pixels stored inline)`);
  }
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const r = await importDataset(t.db, { datasetSlug: "ferplus", path, layout: "ferplus" });
  const wall = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(`FER+ import of ${path}`);
  console.log(`  added ${r.added}, rejected ${r.rejected.length}, unvoted skipped ${r.unvotedSkipped}`);
  console.log(
    `  wall time ${wall.toFixed(1)} s, ${Math.round(r.added / wall)} images/s (including the leak guard)`,
  );
  console.log(
    `  this process used ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU (the rest is Postgres / waiting)`,
  );
  for (const line of formatLeakSummary(r.duplicates!)) console.log(`  ${line}`);
  const again0 = performance.now();
  const again = await importDataset(t.db, { datasetSlug: "ferplus", path, layout: "ferplus" });
  console.log(
    `  second import (idempotency): added ${again.added}, skipped ${again.skipped}, ${((performance.now() - again0) / 1000).toFixed(1)} s`,
  );

  // The Kaggle CSV layout at the same scale (CSV written from the FER+ PNGs first; not timed).
  const dir = mkdtempSync(join(tmpdir(), "concord-fer2013-"));
  try {
    const rows = await writeFer2013FromFerplus(path, dir);
    const mb = statSync(join(dir, "fer2013.csv")).size / 1e6;
    const k0 = performance.now();
    const k = await importDataset(t.db, { datasetSlug: "fer2013", path: dir, layout: "fer2013" });
    const ks = (performance.now() - k0) / 1000;
    console.log(`fer2013.csv + fer2013new.csv (${rows} rows, ${mb.toFixed(0)} MB, built from FER+)`);
    console.log(
      `  added ${k.added}, rejected ${k.rejected.length}, ${ks.toFixed(1)} s, ${Math.round(k.added / ks)} images/s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await t.drop();
}
