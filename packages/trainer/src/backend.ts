import * as tf from "@tensorflow/tfjs";
import { installFastBatchNorm } from "./kernels/fast-batch-norm";
import { nativeUnavailableReason, registerNativeKernels } from "./kernels/native-kernels";
import { registerWasmGradKernels } from "./kernels/wasm-conv-grad-kernels";
import { registerWasmExtraKernels } from "./kernels/wasm-matmul-maxpool-kernels";

export type TBackendName = "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
export type TBackendPreference = "auto" | "tfjs-node-gpu" | "tfjs-node" | "wasm" | "cpu";
export type TBackendInfo = {
  name: string;
  preference: TBackendPreference;
  forced: boolean;
  /** On wasm: whether the native OpenBLAS kernels (kernels/native-kernels.ts) carry the convolutions and matmuls. */
  nativeKernels?: boolean;
};

const PREFERENCES: readonly TBackendPreference[] = ["auto", "tfjs-node-gpu", "tfjs-node", "wasm", "cpu"];

let chosen: TBackendInfo | undefined;

/** Parses a preference from a flag or CONCORD_TF_BACKEND; unknown values are an error, not a silent fallback. */
export function parseBackendPreference(value: string | undefined): TBackendPreference {
  if (value === undefined || value === "") return "auto";
  if ((PREFERENCES as readonly string[]).includes(value)) return value as TBackendPreference;
  throw new Error(`Unknown tfjs backend "${value}"; expected one of ${PREFERENCES.join(", ")}`);
}

// Native bindings are optional dependencies (they download libtensorflow at install time, which fails
// offline). Importing one registers its backend ("tensorflow") as a side effect.
async function tryImport(spec: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ spec);
    return true;
  } catch {
    return false;
  }
}

async function useWasm(): Promise<boolean> {
  await import("@tensorflow/tfjs-backend-wasm");
  const ok = await tf.setBackend("wasm");
  if (ok) {
    registerWasmGradKernels();
    registerWasmExtraKernels();
    installFastBatchNorm();
    registerNativeKernels();
  }
  return ok;
}

export type TInitOptions = {
  /** Allow the pure-JS CPU backend (about 100x slower than WASM for training). */
  force?: boolean;
  /** Silence the one-line log (tests). */
  quiet?: boolean;
  log?: (line: string) => void;
};

/**
 * Chooses the tfjs backend once per process: tfjs-node-gpu > tfjs-node > wasm; refuses the pure-JS cpu
 * backend unless forced. `preference` (or env CONCORD_TF_BACKEND when "auto") pins one backend.
 */
export async function initBackend(
  preference: TBackendPreference | string = "auto",
  options: TInitOptions = {},
): Promise<TBackendInfo> {
  let pref = parseBackendPreference(preference);
  if (pref === "auto") pref = parseBackendPreference(process.env.CONCORD_TF_BACKEND);
  if (chosen) {
    if (pref !== "auto" && pref !== chosen.preference && backendFor(pref) !== chosen.name) {
      throw new Error(`tfjs backend already initialised as ${chosen.name}; cannot switch to ${pref}`);
    }
    return chosen;
  }
  const forced = options.force === true || process.env.CONCORD_TF_FORCE_CPU === "1";
  const attempts: TBackendPreference[] = pref === "auto" ? ["tfjs-node-gpu", "tfjs-node", "wasm"] : [pref];
  for (const attempt of attempts) {
    if (await activate(attempt, forced)) {
      chosen = { name: tf.getBackend(), preference: attempt, forced };
      let detail = "";
      if (chosen.name === "wasm") {
        const why = nativeUnavailableReason();
        chosen.nativeKernels = why === undefined;
        detail = why === undefined ? " + native OpenBLAS kernels" : ` (native kernels: ${why})`;
      }
      if (!options.quiet)
        (options.log ?? console.error)(`[trainer] tfjs backend: ${chosen.name} (${attempt})${detail}`);
      return chosen;
    }
  }
  throw new Error(`tfjs backend ${pref} is not available (tried ${attempts.join(", ")})`);
}

function backendFor(pref: TBackendPreference): string {
  return { auto: "", "tfjs-node-gpu": "tensorflow", "tfjs-node": "tensorflow", wasm: "wasm", cpu: "cpu" }[
    pref
  ];
}

async function activate(pref: TBackendPreference, forced: boolean): Promise<boolean> {
  switch (pref) {
    case "tfjs-node-gpu":
      return (await tryImport("@tensorflow/tfjs-node-gpu")) && tf.setBackend("tensorflow");
    case "tfjs-node":
      return (await tryImport("@tensorflow/tfjs-node")) && tf.setBackend("tensorflow");
    case "wasm":
      return useWasm();
    case "cpu":
      if (!forced) {
        throw new Error(
          "Refusing to train on the pure-JS cpu backend (about 100x slower than wasm); pass force or set CONCORD_TF_FORCE_CPU=1",
        );
      }
      return tf.setBackend("cpu");
    default:
      return false;
  }
}

/** The backend chosen by initBackend, if any. */
export function currentBackend(): TBackendInfo | undefined {
  return chosen;
}
