// Platform parity (issue 14): a run launched from the web app must train on the very data object concord-train
// builds from the same FER+ folder. The folder goes through the real importer into a fresh database, the worker
// makes the scheme's default snapshot as a run without a snapshot does and loads the run's data; the trainer's
// folder loader reads the same folder. Both must match row for row: pixels, labels, targets (float32 bits),
// valid / test faces and their train twins.
import { rmSync } from "node:fs";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { importDataset } from "@concord/importer";
import { hashFaces } from "@concord/importer/twins";
import { DEFAULT_RUN_CONFIG, RUN_SCHEMES, type TRunScheme } from "@concord/jobs/run-config";
import { loadDataFolder, type TImageSet, type TTrainData } from "@concord/trainer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotLabels } from "../src/jobs/snapshot-labels";
import { defaultSnapshotMethod, loadTrainData } from "../src/train-data";
import { writeFerplusFolder } from "./ferplus-folder-fixture";

let t: TTestDatabase;
let folder: string;
let datasetId: string;

beforeAll(async () => {
  t = await createTestDatabase("concord_worker_parity");
  folder = writeFerplusFolder();
  const r = await importDataset(t.db, { datasetSlug: "ferplus-parity", path: folder });
  expect(r.layout).toBe("ferplus");
  expect(r.rejected).toEqual([]);
  datasetId = r.datasetId!;
});
afterAll(async () => {
  await t?.drop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

/** Each row's sha256, so an order mismatch reads as one (which face sits at which index). */
const faceOrder = (s: TImageSet) => hashFaces(s.pixels).map((h) => h.sha256);
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function expectSameSet(web: TImageSet | undefined, cli: TImageSet | undefined, split: string) {
  expect(web === undefined, `${split}: present on one road only`).toBe(cli === undefined);
  if (!web || !cli) return;
  expect(faceOrder(web), `${split}: faces and their order`).toEqual(faceOrder(cli));
  expect(Buffer.from(web.pixels).equals(Buffer.from(cli.pixels)), `${split}: pixels`).toBe(true);
  expect(Array.from(web.labels), `${split}: labels`).toEqual(Array.from(cli.labels));
  expect(web.trainTwins, `${split}: train twins`).toEqual(cli.trainTwins);
}

function expectSameData(web: TTrainData, cli: TTrainData) {
  expect(web.classNames).toEqual(cli.classNames);
  expectSameSet(web.train, cli.train, "train");
  expect(bits(web.train.targets), "train targets (float32 bits)").toEqual(bits(cli.train.targets));
  expectSameSet(web.valid, cli.valid, "valid");
  expectSameSet(web.test, cli.test, "test");
}

async function bothRoads(scheme: TRunScheme, eps: number) {
  // What trainRun does for a run without a snapshot: the dataset's default snapshot for the scheme.
  const dataset = await t.db.dataset.findUniqueOrThrow({ where: { id: datasetId } });
  const method = defaultSnapshotMethod(dataset.taxonomy, scheme);
  const { snapshotId } = await snapshotLabels(t.db, { datasetId, method, params: {} });
  const web = await loadTrainData(t.db, { datasetId, snapshotId }, { scheme, eps, maxTrainImages: 0 });
  // What concord-train does with --data <folder> --scheme <scheme> --eps <eps> (smoothing: crowd, its default).
  const cli = await loadDataFolder(folder, { scheme, eps, smoothing: "crowd" });
  return { web: web.data, cli };
}

describe("platform parity: the worker's data from Postgres = concord-train's data from the FER+ folder", () => {
  for (const scheme of RUN_SCHEMES) {
    for (const eps of [DEFAULT_RUN_CONFIG.eps, 0.3]) {
      it(`${scheme}, eps ${eps}`, async () => {
        const { web, cli } = await bothRoads(scheme, eps);
        expectSameData(web, cli);
        // The fixture is not trivial: faces dropped by the FER+ rules, unlabelled valid faces, a twin.
        expect(web.train.labels.length).toBeGreaterThan(30);
        expect(web.train.labels.length).toBeLessThan(59);
        expect(web.valid!.trainTwins!.filter((x) => x === "EXACT")).toHaveLength(2);
      });
    }
  }
});
