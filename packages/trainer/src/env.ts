// The environment variables the trainer understands. Nothing else under src reads process.env: entry points
// (the CLIs, the benches, apps/worker, whose env schema extends this one) parse them once and pass them down.
// No tfjs here (the package's "./env" export): the worker's parent process validates these without loading it.
import { z } from "zod";
import type { TInitOptions } from "./backend";

const PREFERENCES = ["auto", "tfjs-node-gpu", "tfjs-node", "wasm", "cpu"] as const;
export type TBackendPreference = (typeof PREFERENCES)[number];

// gpu and node: the short spellings deployments use (docker-compose, the GPU worker image).
const ALIASES = { gpu: "tfjs-node-gpu", node: "tfjs-node" } as const satisfies Record<
  string,
  TBackendPreference
>;
type TAlias = keyof typeof ALIASES;

/** A backend preference as CONCORD_TF_BACKEND or --backend spells it; unknown values fail, no silent fallback. */
export const ZBackendPreference = z
  .enum([...PREFERENCES, ...(Object.keys(ALIASES) as TAlias[])])
  .transform((v): TBackendPreference => (v in ALIASES ? ALIASES[v as TAlias] : (v as TBackendPreference)));

/** Parses a --backend flag (or any preference given as a string) with the same schema. */
export function parseBackendPreference(value: string): TBackendPreference {
  const parsed = ZBackendPreference.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(
    `Unknown tfjs backend "${value}"; expected one of ${ZBackendPreference.in.options.join(", ")}`,
  );
}

// An empty variable (`CONCORD_TF_BACKEND=`) counts as unset.
const unsetIfEmpty = (v: unknown) => (v === "" ? undefined : v);

// "1" on, "0" off; unset leaves initBackend's own default, so every default is written once, there.
const flag = z
  .preprocess(unsetIfEmpty, z.enum(["0", "1"]).optional())
  .transform((v) => (v === undefined ? undefined : v === "1"));

export const ZTrainerEnv = z.object({
  /** auto (tfjs-node-gpu > tfjs-node > wasm) or one backend; gpu and node are short for tfjs-node-gpu, tfjs-node. */
  CONCORD_TF_BACKEND: z.preprocess(unsetIfEmpty, ZBackendPreference.default("auto")),
  /** 1 allows the pure-JS cpu backend (about 100x slower than wasm for training). */
  CONCORD_TF_FORCE_CPU: flag,
  /** 0 trains on the WASM kernels only, even where the native OpenBLAS addon is built. */
  CONCORD_NATIVE_KERNELS: flag,
  /** 1 makes a wasm backend without the native kernels an error (CI). */
  CONCORD_REQUIRE_NATIVE: flag,
});

export type TTrainerEnv = z.infer<typeof ZTrainerEnv>;

/** A malformed variable; the CLIs exit 2 on it, as on a bad flag. */
export class TrainerEnvError extends Error {
  override name = "TrainerEnvError";
}

/** Parses the trainer's variables, throwing a TrainerEnvError that names each malformed one. */
export function trainerEnv(source: NodeJS.ProcessEnv = process.env): TTrainerEnv {
  const parsed = ZTrainerEnv.safeParse(source);
  if (!parsed.success)
    throw new TrainerEnvError(`@concord/trainer: invalid environment\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** initBackend's options as the environment sets them. */
export function backendOptions(env: TTrainerEnv): TInitOptions {
  return {
    force: env.CONCORD_TF_FORCE_CPU,
    nativeKernels: env.CONCORD_NATIVE_KERNELS,
    requireNative: env.CONCORD_REQUIRE_NATIVE,
  };
}
