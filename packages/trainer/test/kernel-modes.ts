import { describe } from "vitest";
import { trainerEnv } from "../src/env";
import { nativeAddon, nativeUnavailableReason, useNativeKernels } from "../src/kernels/native-kernels";

export type TKernelMode = "wasm" | "native";

/**
 * The kernel sets every WASM kernel test runs against: WASM's own plus ours (src/kernels/wasm-*-kernels.ts), and the
 * native OpenBLAS kernels when the addon is built. CI sets CONCORD_REQUIRE_NATIVE=1, so a missing addon
 * fails there instead of silently testing less.
 */
const env = trainerEnv();
const hasNative = env.CONCORD_NATIVE_KERNELS !== false && nativeAddon() !== null;
export const KERNEL_MODES: TKernelMode[] = hasNative ? ["wasm", "native"] : ["wasm"];

if (!hasNative) {
  const why = env.CONCORD_NATIVE_KERNELS === false ? "CONCORD_NATIVE_KERNELS=0" : nativeUnavailableReason();
  if (env.CONCORD_REQUIRE_NATIVE) throw new Error(`native kernels required but ${why}`);
  describe.skip(`native kernel cases skipped: ${why}`, () => {});
}

/** Call after initBackend("wasm"). */
export function useKernelMode(mode: TKernelMode): void {
  const active = useNativeKernels(mode === "native");
  if (active !== (mode === "native")) throw new Error(`could not switch to ${mode} kernels`);
}
