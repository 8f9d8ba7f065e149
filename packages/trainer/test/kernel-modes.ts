import { describe } from "vitest";
import { nativeAddon, nativeUnavailableReason, useNativeKernels } from "../src/kernels/native-kernels";

export type TKernelMode = "wasm" | "native";

/**
 * The kernel sets every WASM kernel test runs against: WASM's own plus ours (src/kernels/wasm-*-kernels.ts), and the
 * native OpenBLAS kernels when the addon is built. CI sets CONCORD_REQUIRE_NATIVE=1, so a missing addon
 * fails there instead of silently testing less.
 */
export const KERNEL_MODES: TKernelMode[] = nativeAddon() ? ["wasm", "native"] : ["wasm"];

if (!nativeAddon()) {
  const why = nativeUnavailableReason();
  if (process.env.CONCORD_REQUIRE_NATIVE === "1") throw new Error(`native kernels required but ${why}`);
  describe.skip(`native kernel cases skipped: ${why}`, () => {});
}

/** Call after initBackend("wasm"). */
export function useKernelMode(mode: TKernelMode): void {
  const active = useNativeKernels(mode === "native");
  if (active !== (mode === "native")) throw new Error(`could not switch to ${mode} kernels`);
}
