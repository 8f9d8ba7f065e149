// The worker's view of @concord/trainer: backend names as the worker's env spells them.

/**
 * Worker env names (gpu, node) to the trainer's backend preferences. The sandbox also rewrites
 * CONCORD_TF_BACKEND with it, because the trainer re-reads that variable itself.
 */
export function backendPreference(value: string): string {
  return ({ gpu: "tfjs-node-gpu", node: "tfjs-node" } as Record<string, string>)[value] ?? value;
}
