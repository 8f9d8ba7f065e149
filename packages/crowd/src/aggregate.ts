import { resolveOptions } from "./methods/common";
import { dawidSkene } from "./methods/dawid-skene";
import { ferplusAggregate } from "./methods/ferplus";
import { glad } from "./methods/glad";
import { mace } from "./methods/mace";
import { majorityVote } from "./methods/mv";
import { wawa, zeroBasedSkill } from "./methods/wawa";
import { METHODS, type TAggregateOptions, type TAggregateResult, type TMethod, type TVoteSet } from "./types";

/** Runs one aggregation method over a vote set. Pure and deterministic for a given seed. */
export function aggregate(set: TVoteSet, method: TMethod, options: TAggregateOptions = {}): TAggregateResult {
  const opts = resolveOptions(set, options);
  switch (method) {
    case "mv":
      return majorityVote(set, opts);
    case "wawa":
      return wawa(set, opts);
    case "zbs":
      return zeroBasedSkill(set, opts);
    case "onecoin":
      return dawidSkene(set, opts, true);
    case "ds":
      return dawidSkene(set, opts, false);
    case "glad":
      return glad(set, opts);
    case "mace":
      return mace(set, opts);
    case "ferplus-majority":
    case "ferplus-probability":
    case "ferplus-crossentropy":
    case "ferplus-multitarget":
      return ferplusAggregate(set, method);
    default:
      throw new RangeError(`unknown method ${String(method)}; expected one of ${METHODS.join(", ")}`);
  }
}

export function isMethod(name: string): name is TMethod {
  return (METHODS as readonly string[]).includes(name);
}
