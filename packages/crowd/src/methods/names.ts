// The aggregation methods' names: the one list that the CLI, the job payload schema (@concord/jobs) and the
// snapshot form validate against. Pure (subpath `@concord/crowd/methods`), so those import no method code.
export const METHODS = [
  "mv",
  "wawa",
  "zbs",
  "onecoin",
  "ds",
  "glad",
  "mace",
  "ferplus-majority",
  "ferplus-probability",
  "ferplus-crossentropy",
  "ferplus-multitarget",
] as const;
export type TMethod = (typeof METHODS)[number];
