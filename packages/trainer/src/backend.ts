import * as tf from "@tensorflow/tfjs";
import { parseBackendPreference, type TBackendPreference } from "./env";
import { installFastBatchNorm } from "./kernels/fast-batch-norm";
import {
  nativeSgemm,
  nativeUnavailableReason,
  registerNativeKernels,
  type TSgemmLibrary,
} from "./kernels/native-kernels";
import { installNativeLayers } from "./kernels/native-layers";
import { registerWasmGradKernels } from "./kernels/wasm-conv-grad-kernels";
import { registerWasmExtraKernels } from "./kernels/wasm-matmul-maxpool-kernels";

export type TBackendName = "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
export type TBackendInfo = {
  name: string;
  preference: TBackendPreference;
  forced: boolean;
  /** On wasm: whether the native kernels (kernels/native-kernels.ts) carry the convolutions and matmuls. */
  nativeKernels?: boolean;
  /** With the native kernels: the sgemm under them, OpenBLAS's or the addon's builtin one. */
  nativeSgemm?: TSgemmLibrary;
};

/**
 * The backend as runs and reports record it: "wasm+openblas" or "wasm+builtin-sgemm" when the native kernels
 * carry the wasm backend, else the tfjs backend's name ("wasm", "tensorflow", "cpu").
 */
export function backendLabel(info: TBackendInfo): string {
  if (!info.nativeKernels) return info.name;
  return `${info.name}+${info.nativeSgemm === "builtin" ? "builtin-sgemm" : "openblas"}`;
}

let chosen: TBackendInfo | undefined;
let chosenOptions: TWorkerBackendOptions = {};

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

async function useWasm(nativeKernels: boolean): Promise<boolean> {
  await import("@tensorflow/tfjs-backend-wasm");
  const ok = await tf.setBackend("wasm");
  if (ok) {
    registerWasmGradKernels();
    registerWasmExtraKernels();
    installFastBatchNorm();
    installNativeLayers();
    if (nativeKernels) registerNativeKernels();
  }
  return ok;
}

/** What the data-parallel gradient threads need to set up their own wasm backend like this one. */
export type TWorkerBackendOptions = {
  /** On wasm, use the native OpenBLAS kernels when the addon is built (default true). */
  nativeKernels?: boolean;
  /** On wasm, fail instead of running without the native kernels (default false). */
  requireNative?: boolean;
};

export type TInitOptions = TWorkerBackendOptions & {
  /** Allow the pure-JS CPU backend (about 100x slower than WASM for training). */
  force?: boolean;
  /** Silence the one-line log (tests). */
  quiet?: boolean;
  log?: (line: string) => void;
};

/**
 * Chooses the tfjs backend once per process: "auto" is tfjs-node-gpu > tfjs-node > wasm, any other
 * preference pins one; refuses the pure-JS cpu backend unless forced. Reads no environment: entry points
 * parse it (env.ts) and pass the preference and options here.
 */
export async function initBackend(
  preference: TBackendPreference,
  options: TInitOptions = {},
): Promise<TBackendInfo> {
  // Checked at run time too: JavaScript callers and casts get the same error as a bad flag.
  const pref = parseBackendPreference(preference);
  if (chosen) {
    if (pref !== "auto" && pref !== chosen.preference && backendFor(pref) !== chosen.name) {
      throw new Error(`tfjs backend already initialised as ${chosen.name}; cannot switch to ${pref}`);
    }
    return chosen;
  }
  const forced = options.force === true;
  const nativeKernels = options.nativeKernels !== false;
  const attempts: TBackendPreference[] = pref === "auto" ? ["tfjs-node-gpu", "tfjs-node", "wasm"] : [pref];
  for (const attempt of attempts) {
    if (await activate(attempt, forced, nativeKernels)) {
      const info: TBackendInfo = { name: tf.getBackend(), preference: attempt, forced };
      let detail = "";
      if (info.name === "wasm") {
        const why = nativeKernels
          ? nativeUnavailableReason()
          : "turned off (nativeKernels: false, e.g. CONCORD_NATIVE_KERNELS=0)";
        if (why !== undefined && options.requireNative) throw new Error(`native kernels required but ${why}`);
        info.nativeKernels = why === undefined;
        const sgemm = why === undefined ? nativeSgemm() : null;
        if (sgemm) info.nativeSgemm = sgemm.library;
        if (why !== undefined) detail = ` (native kernels: ${why})`;
        else if (sgemm?.library === "builtin") detail = ` + native kernels (builtin sgemm, ${sgemm.kernel})`;
        else detail = " + native OpenBLAS kernels";
      }
      chosen = info;
      chosenOptions = { nativeKernels, requireNative: options.requireNative === true };
      if (!options.quiet)
        (options.log ?? console.error)(`[trainer] tfjs backend: ${info.name} (${attempt})${detail}`);
      return info;
    }
  }
  throw new Error(`tfjs backend ${pref} is not available (tried ${attempts.join(", ")})`);
}

function backendFor(pref: TBackendPreference): string {
  return { auto: "", "tfjs-node-gpu": "tensorflow", "tfjs-node": "tensorflow", wasm: "wasm", cpu: "cpu" }[
    pref
  ];
}

async function activate(pref: TBackendPreference, forced: boolean, nativeKernels: boolean): Promise<boolean> {
  switch (pref) {
    case "tfjs-node-gpu":
      return (await tryImport("@tensorflow/tfjs-node-gpu")) && tf.setBackend("tensorflow");
    case "tfjs-node":
      return (await tryImport("@tensorflow/tfjs-node")) && tf.setBackend("tensorflow");
    case "wasm":
      return useWasm(nativeKernels);
    case "cpu":
      if (!forced) {
        throw new Error(
          "Refusing to train on the pure-JS cpu backend (about 100x slower than wasm); pass force (--force-cpu or CONCORD_TF_FORCE_CPU=1)",
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

/** The kernel options this process's backend was chosen with, for the gradient threads to copy. */
export function workerBackendOptions(): TWorkerBackendOptions {
  return chosenOptions;
}
