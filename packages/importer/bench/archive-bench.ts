// Exports FER+ from one fresh database and restores it into another; prints the README's archive figures:
//   npm run bench:archive -w @concord/importer   (FER+ path: CONCORD_FERPLUS or <CONCORD_SHARED>/datasets/ferplus)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@concord/db/testing";
import { exportDataset } from "../src/archive/export";
import { restoreArchive } from "../src/archive/restore";
import { defaultFerplusPath } from "../src/demo/index";
import { importDataset } from "../src/import";

const path = defaultFerplusPath();
if (!path) {
  console.error("FER+ folder not found: set CONCORD_FERPLUS or CONCORD_SHARED");
  process.exit(1);
}
const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = performance.now();
  const r = await fn();
  console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return r;
};
const src = await createTestDatabase("concord_bench_archive_src");
const dst = await createTestDatabase("concord_bench_archive_dst");
const dir = mkdtempSync(join(tmpdir(), "concord-archive-bench-"));
try {
  await timed("import FER+", () =>
    importDataset(src.db, { datasetSlug: "ferplus", path, layout: "ferplus" }),
  );
  const a = await timed("export", () => exportDataset(src.db, { slug: "ferplus", out: join(dir, "a") }));
  const mb = Object.values(a.manifest.files).reduce((s, f) => s + f.bytes, 0) / 2 ** 20;
  for (const [name, f] of Object.entries(a.manifest.files))
    console.log(`  ${name.padEnd(30)} ${f.rows} rows`);
  console.log(`  ${mb.toFixed(1)} MiB, archive hash ${a.manifest.archiveHash}`);
  await timed("restore into an empty database", () => restoreArchive(dst.db, { dir: join(dir, "a") }));
  const again = await timed("restore again", () => restoreArchive(dst.db, { dir: join(dir, "a") }));
  console.log(`  already restored: ${again.alreadyRestored}`);
  const b = await timed("export of the restored dataset", () =>
    exportDataset(dst.db, { slug: "ferplus", out: join(dir, "b") }),
  );
  console.log(`  same archive hash: ${b.manifest.archiveHash === a.manifest.archiveHash}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await src.drop();
  await dst.drop();
}
