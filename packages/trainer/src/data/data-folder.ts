import { existsSync, statSync } from "node:fs";
import path from "node:path";
import type { TTrainData } from "../types";
import { loadFerplus, type TLoadOptions } from "./ferplus-folder";
import { loadGeneric } from "./generic-folder";
import { DataError } from "./train-data";

/** Reads a FER+ folder, or else the generic layout (PNGs + votes.csv). */
export async function loadDataFolder(
  root: string,
  opts: TLoadOptions,
): Promise<TTrainData & { names: Record<string, string> }> {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new DataError(`data folder ${root} does not exist`);
  if (existsSync(path.join(root, "votes.csv")) && !existsSync(path.join(root, "label.csv")))
    return loadGeneric(root, opts);
  return loadFerplus(root, opts);
}
