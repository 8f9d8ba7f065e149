// Imports the whole FER+ folder into a fresh database and prints the figures the README quotes:
//   npm run bench -w @concord/importer            (FER+ path: CONCORD_FERPLUS or <CONCORD_SHARED>/datasets/ferplus)
import { createTestDatabase } from "@concord/db/testing";
import { defaultFerplusPath } from "../src/demo/index";
import { importDataset } from "../src/import";
import { formatLeakSummary } from "../src/leaks";

const path = defaultFerplusPath();
if (!path) {
  console.error("FER+ folder not found: set CONCORD_FERPLUS or CONCORD_SHARED");
  process.exit(1);
}
const t = await createTestDatabase("concord_bench");
try {
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
} finally {
  await t.drop();
}
