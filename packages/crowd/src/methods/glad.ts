import type { TAggregateResult, TVoteSet } from "../types.js";
import type { TResolved } from "./common.js";

export function glad(_set: TVoteSet, _opts: TResolved): TAggregateResult {
  throw new Error("glad: implementation lands in the next commit");
}
