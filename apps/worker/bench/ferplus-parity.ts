// Platform parity on the whole FER+ folder (issue 14): imports it through the real importer into a scratch database
// (created here, dropped at the end), makes the scheme's default snapshot as a run without a snapshot does, loads
// the run's data with each train data version, and compares each with what concord-train's loader builds from the
// folder: row for row (same index) and face by face (same pixels, wherever they sit). Not a test: minutes of import.
//   nice -n 19 npx tsx bench/ferplus-parity.ts [--data ../../../shared/datasets/ferplus] [--scheme S] [--eps E]
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createTestDatabase } from "@concord/db/testing";
import { importDataset } from "@concord/importer";
import { externalIdOrder, ferplusExternalId } from "@concord/importer/image-order";
import { hashFaces } from "@concord/importer/twins";
import { DEFAULT_RUN_CONFIG, resolveScheme } from "@concord/jobs/run-config";
import { loadDataFolder, type TImageSet, type TTrainSet } from "@concord/trainer";
import { snapshotLabels } from "../src/jobs/snapshot-labels";
import { defaultSnapshotMethod, loadTrainData, TRAIN_DATA_VERSIONS } from "../src/train-data";

const { values: a } = parseArgs({
  options: {
    data: { type: "string", default: resolve(import.meta.dirname, "../../../../shared/datasets/ferplus") },
    scheme: { type: "string", default: DEFAULT_RUN_CONFIG.scheme },
    eps: { type: "string", default: String(DEFAULT_RUN_CONFIG.eps) },
  },
});
const folder = resolve(a.data!);
if (!existsSync(`${folder}/FER2013Train/label.csv`)) throw new Error(`${folder} is not the FER+ folder`);
const scheme = resolveScheme(a.scheme!)?.scheme;
if (!scheme) throw new Error(`unknown scheme ${a.scheme}`);
const eps = Number(a.eps);
const C = 8;
const secs = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

/** Row-for-row and face-by-face differences of two sets (targets too when both have them). */
function compare(
  what: string,
  web: TImageSet | TTrainSet | undefined,
  cli: TImageSet | TTrainSet | undefined,
) {
  if (!web || !cli)
    return console.log(`  ${what}: web ${web ? "present" : "absent"}, cli ${cli ? "present" : "absent"}`);
  const [hw, hc] = [hashFaces(web.pixels).map((h) => h.sha256), hashFaces(cli.pixels).map((h) => h.sha256)];
  const tw =
    "targets" in web ? new Uint32Array(web.targets.buffer, web.targets.byteOffset, web.targets.length) : null;
  const tc =
    "targets" in cli ? new Uint32Array(cli.targets.buffer, cli.targets.byteOffset, cli.targets.length) : null;
  const targetRowDiffers = (i: number, j: number) =>
    !!tw && !!tc && tw.subarray(i * C, i * C + C).some((v, c) => v !== tc[j * C + c]);
  const twinOf = (s: TImageSet, i: number) => s.trainTwins?.[i] ?? null;
  let [face, label, target, twin, differing] = [0, 0, 0, 0, 0];
  const n = Math.min(hw.length, hc.length);
  for (let i = 0; i < n; i++) {
    const d = [
      hw[i] !== hc[i],
      web.labels[i] !== cli.labels[i],
      targetRowDiffers(i, i),
      twinOf(web, i) !== twinOf(cli, i),
    ];
    face += Number(d[0]);
    label += Number(d[1]);
    target += Number(d[2]);
    twin += Number(d[3]);
    differing += Number(d.some(Boolean));
  }
  differing += Math.abs(hw.length - hc.length);
  // Face by face: faces whose pixels occur once on each side, compared wherever they sit.
  const once = (h: string[]) => {
    const m = new Map<string, number>();
    h.forEach((s, i) => {
      m.set(s, m.has(s) ? -1 : i);
    });
    return m;
  };
  const [ow, oc] = [once(hw), once(hc)];
  let matched = 0;
  let byFaceLabel = 0;
  let byFaceTarget = 0;
  for (const [s, i] of ow) {
    const j = oc.get(s);
    if (i < 0 || j === undefined || j < 0) continue;
    matched++;
    if (web.labels[i] !== cli.labels[j]) byFaceLabel++;
    if (targetRowDiffers(i, j)) byFaceTarget++;
  }
  const cliFaces = new Set(hc);
  const webOnly = hw.filter((s) => !cliFaces.has(s)).length;
  const webFaces = new Set(hw);
  const cliOnly = hc.filter((s) => !webFaces.has(s)).length;
  console.log(
    `  ${what}: web ${hw.length} rows, cli ${hc.length}; rows differing at the same index ${differing} (face ${face}, label ${label}${tw ? `, target bits ${target}` : ""}, twin ${twin}); faces on one side only: web ${webOnly}, cli ${cliOnly}; matched by face (${matched} faces unique on both sides): label differs ${byFaceLabel}${tw ? `, target bits differ ${byFaceTarget}` : ""}`,
  );
}

const csv = readFileSync(`${folder}/FER2013Train/label.csv`, "utf8").split(/\r?\n/).filter(Boolean);
const names = csv.map((l) => ferplusExternalId(l.split(",")[0]!));
const sorted = externalIdOrder(names).every((src, k) => src === k);
console.log(
  `FER2013Train/label.csv: ${names.length} rows, already in externalId order: ${sorted ? "yes" : "NO"}`,
);

let t0 = performance.now();
const cli = await loadDataFolder(folder, { scheme, eps, smoothing: "crowd" });
console.log(
  `concord-train's loader (${scheme}, eps ${eps}): train ${cli.train.labels.length}, valid ${cli.valid?.labels.length ?? 0}, test ${cli.test?.labels.length ?? 0} (${secs(t0)} s)`,
);

const t = await createTestDatabase("concord_parity_scratch");
try {
  t0 = performance.now();
  const r = await importDataset(t.db, { datasetSlug: "ferplus", path: folder });
  console.log(`imported ${r.added} faces into ${t.name} (${r.rejected.length} rejected, ${secs(t0)} s)`);
  const datasetId = r.datasetId!;
  const dataset = await t.db.dataset.findUniqueOrThrow({ where: { id: datasetId } });
  const method = defaultSnapshotMethod(dataset.taxonomy, scheme);
  t0 = performance.now();
  const { snapshotId } = await snapshotLabels(t.db, { datasetId, method, params: {} });
  console.log(`snapshot ${method} (${secs(t0)} s)`);
  for (const version of TRAIN_DATA_VERSIONS) {
    t0 = performance.now();
    const web = await loadTrainData(
      t.db,
      { datasetId, snapshotId },
      { scheme, eps, maxTrainImages: 0, version },
    );
    console.log(
      `worker, train data version ${version}${version === 1 ? " (before issue 14)" : " (now)"}: train ${web.counts.train}, valid ${web.counts.valid}, test ${web.counts.test} (${secs(t0)} s)`,
    );
    compare("train", web.data.train, cli.train);
    compare("valid", web.data.valid, cli.valid);
    compare("test", web.data.test, cli.test);
  }
} finally {
  await t.drop();
  console.log(`dropped ${t.name}`);
}
