import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { backendLabel, currentBackend, initBackend } from "../src/backend";
import { parseBackendPreference, trainerEnv } from "../src/env";

describe("initBackend", () => {
  it("rejects unknown preferences and reads the short spellings", () => {
    expect(() => parseBackendPreference("metal")).toThrow(/Unknown tfjs backend "metal"/);
    expect(parseBackendPreference("gpu")).toBe("tfjs-node-gpu");
    expect(parseBackendPreference("node")).toBe("tfjs-node");
    expect(parseBackendPreference("wasm")).toBe("wasm");
  });

  it("labels a run's backend by the kernels and sgemm that carried it", () => {
    const wasm = { name: "wasm", preference: "wasm", forced: false } as const;
    expect(backendLabel({ ...wasm, nativeKernels: true, nativeSgemm: "openblas" })).toBe("wasm+openblas");
    expect(backendLabel({ ...wasm, nativeKernels: true, nativeSgemm: "builtin" })).toBe("wasm+builtin-sgemm");
    expect(backendLabel({ ...wasm, nativeKernels: false })).toBe("wasm");
    expect(backendLabel({ name: "tensorflow", preference: "tfjs-node", forced: false })).toBe("tensorflow");
  });

  it("refuses the pure-JS cpu backend unless forced", async () => {
    await expect(initBackend("cpu", { quiet: true })).rejects.toThrow(
      /Refusing to train on the pure-JS cpu backend/,
    );
    expect(currentBackend()).toBeUndefined();
  });

  it("falls back from the native bindings (not installable offline) to wasm, logs once, and stays chosen", async () => {
    const lines: string[] = [];
    const info = await initBackend("auto", { log: (l) => lines.push(l) });
    const nativeInstalled = info.name === "tensorflow";
    if (!nativeInstalled) expect(info).toMatchObject({ name: "wasm", preference: "wasm" });
    expect(tf.getBackend()).toBe(info.name);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^\\[trainer\\] tfjs backend: ${info.name} \\(${info.preference}\\)`),
    );
    // On wasm the line also says whether the native kernels carry the convolutions, on which sgemm, and why not.
    if (info.name === "wasm")
      expect(lines[0]).toMatch(
        !info.nativeKernels
          ? /\(native kernels: .+\)$/
          : info.nativeSgemm === "builtin"
            ? / \+ native kernels \(builtin sgemm, (avx512|avx2|generic) \w+\)$/
            : / \+ native OpenBLAS kernels$/,
      );
    if (trainerEnv().CONCORD_REQUIRE_NATIVE && info.name === "wasm") expect(info.nativeKernels).toBe(true);
    expect(await initBackend("auto", { log: (l) => lines.push(l) })).toBe(info);
    expect(lines).toHaveLength(1);
    if (!nativeInstalled)
      await expect(initBackend("cpu", { quiet: true, force: true })).rejects.toThrow(
        /already initialised as wasm/,
      );
  });
});
