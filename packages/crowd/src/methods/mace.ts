import type { TAggregateResult, TVoteSet } from "../types.js";
import type { TResolved } from "./common.js";

export function mace(_set: TVoteSet, _opts: TResolved): TAggregateResult {
  throw new Error("mace: implementation lands in the next commit");
}
