import * as tf from "@tensorflow/tfjs";
import { fallbackOf, nativeAddon, setFallback } from "./native-addon";
import { NATIVE_CONV_KERNELS } from "./native-conv-kernels";
import { NATIVE_TRAIN_KERNELS } from "./native-train-kernels";

export {
  loadAddonFile,
  NATIVE_ADDON_PATH,
  nativeAddon,
  nativeSgemm,
  nativeUnavailableReason,
  type TAddon,
  type TSgemmLibrary,
  useNativeAddon,
} from "./native-addon";

/**
 * Native kernels for the WASM backend (the addon of native-addon.ts): the convolutions and matmuls of a
 * training step as im2col + sgemm, plus MaxPoolGrad; native-train-kernels.ts adds batch norm, the ReLU
 * gradient and the optimizer update. WASM has 128-bit SIMD and no FMA; the sgemm uses the CPU's
 * AVX2/AVX-512 FMA units, which is where PyTorch's speed comes from too. It is OpenBLAS's where that is
 * installed, else the addon's own (native/concord_sgemm.c); `nativeSgemm()` says which. They work on the
 * WASM heap in place (no copies); tensors stay WASM tensors.
 *
 * Optional: without the addon (no C compiler where it was installed), or when initBackend is told not to
 * use it, training runs on WASM's kernels and ours from wasm-conv-grad-kernels.ts and
 * wasm-matmul-maxpool-kernels.ts.
 */
type TInfo = tf.TensorInfo;
type TArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

const KERNELS: Record<string, (args: TArgs) => TInfo | TInfo[]> = {
  ...NATIVE_CONV_KERNELS,
  ...NATIVE_TRAIN_KERNELS,
};

let registered = false;

/**
 * Replaces the WASM kernels above with the native ones (idempotent). Call after the other WASM kernel
 * registrations: the kernels it replaces become the fallbacks for shapes the native path does not take.
 * Returns false (and changes nothing) when the addon is unavailable.
 */
export function registerNativeKernels(): boolean {
  return useNativeKernels(true);
}

/**
 * Switches this thread's wasm backend between the native kernels and the WASM ones they replaced (tests
 * and benchmarks compare both in one process). Returns whether the native kernels are now active.
 */
export function useNativeKernels(on: boolean): boolean {
  if (on === registered) return registered;
  if (on) {
    if (!nativeAddon()) return false;
    for (const [name, kernelFunc] of Object.entries(KERNELS)) {
      const existing = tf.getKernel(name, "wasm");
      if (existing) {
        setFallback(name, existing.kernelFunc);
        tf.unregisterKernel(name, "wasm");
      }
      tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: kernelFunc as tf.KernelFunc });
    }
  } else {
    for (const name of Object.keys(KERNELS)) {
      tf.unregisterKernel(name, "wasm");
      const previous = fallbackOf(name);
      if (previous) tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: previous });
    }
  }
  registered = on;
  return registered;
}

/** Whether the native kernels are registered on the wasm backend in this thread. */
export function nativeKernelsActive(): boolean {
  return registered;
}
