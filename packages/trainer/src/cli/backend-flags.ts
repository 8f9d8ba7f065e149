import { initBackend, type TBackendInfo } from "../backend";
import { backendOptions, parseBackendPreference, type TTrainerEnv } from "../env";

/** The backend flags both CLIs take (parseArgs options). */
export const BACKEND_FLAGS = {
  backend: { type: "string" },
  "force-cpu": { type: "boolean", default: false },
} as const;

/**
 * Chooses the tfjs backend from the flags and the trainer's environment: --backend pins one (absent or auto:
 * CONCORD_TF_BACKEND decides); --force-cpu or CONCORD_TF_FORCE_CPU=1 allows the pure-JS cpu backend.
 */
export function initBackendFromFlags(
  flags: { backend?: string; "force-cpu": boolean },
  env: TTrainerEnv,
): Promise<TBackendInfo> {
  const pinned = flags.backend === undefined ? undefined : parseBackendPreference(flags.backend);
  const options = backendOptions(env);
  return initBackend(pinned === undefined || pinned === "auto" ? env.CONCORD_TF_BACKEND : pinned, {
    ...options,
    force: flags["force-cpu"] || options.force,
  });
}
