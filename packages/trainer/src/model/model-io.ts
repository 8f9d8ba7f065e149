import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";

/** What we store next to the topology so a model can be evaluated without guessing its labels. */
export type TModelMetadata = {
  classNames: string[];
  modelName: string;
  inputSize: number;
  [key: string]: unknown;
};

function joinWeightData(data: ArrayBuffer | ArrayBuffer[]): Buffer {
  return Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data);
}

/**
 * Saves in the standard tfjs layers format (model.json + weights.bin), loadable by tf.loadLayersModel in a
 * browser. Files are written beside and renamed into place, so a crash never leaves a half-written model.
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
  metadata?: TModelMetadata,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (metadata) model.setUserDefinedMetadata(metadata);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.weightData || !artifacts.weightSpecs) throw new Error("model has no weights to save");
      const json = {
        format: "layers-model",
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
        userDefinedMetadata: artifacts.userDefinedMetadata,
      };
      await writeFile(path.join(dir, "weights.bin.tmp"), joinWeightData(artifacts.weightData));
      await writeFile(path.join(dir, "model.json.tmp"), JSON.stringify(json));
      await rename(path.join(dir, "weights.bin.tmp"), path.join(dir, "weights.bin"));
      await rename(path.join(dir, "model.json.tmp"), path.join(dir, "model.json"));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
}

type TModelJson = {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  userDefinedMetadata?: Record<string, unknown>;
};

async function readModelJson(dir: string): Promise<TModelJson> {
  const file = path.join(dir, "model.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`no model at ${dir} (missing model.json)`);
  }
  const json = JSON.parse(text) as TModelJson;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest))
    throw new Error(`${file} is not a tfjs layers model`);
  return json;
}

/** Loads a model saved by saveModel (or any tfjs layers model.json with local weight files). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const json = await readModelJson(dir);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readFile(path.join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
  );
  if (json.userDefinedMetadata) model.setUserDefinedMetadata(json.userDefinedMetadata);
  return model;
}

export async function readModelMetadata(dir: string): Promise<TModelMetadata | undefined> {
  return (await readModelJson(dir)).userDefinedMetadata as TModelMetadata | undefined;
}
