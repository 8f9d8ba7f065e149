import { describe, expect, it } from "vitest";
import { backendOptions, TrainerEnvError, trainerEnv } from "../src/env";

describe("trainerEnv", () => {
  it("leaves unset (or empty) flags to initBackend and defaults the backend to auto", () => {
    const env = trainerEnv({ CONCORD_NATIVE_KERNELS: "" });
    expect(env).toEqual({ CONCORD_TF_BACKEND: "auto" });
    expect(backendOptions(env)).toEqual({
      force: undefined,
      nativeKernels: undefined,
      requireNative: undefined,
    });
    expect(trainerEnv({ CONCORD_TF_BACKEND: "" }).CONCORD_TF_BACKEND).toBe("auto");
  });

  it("maps the short spellings and the 0/1 flags to initBackend's preference and options", () => {
    const env = trainerEnv({
      CONCORD_TF_BACKEND: "gpu",
      CONCORD_TF_FORCE_CPU: "1",
      CONCORD_NATIVE_KERNELS: "0",
      CONCORD_REQUIRE_NATIVE: "1",
    });
    expect(env.CONCORD_TF_BACKEND).toBe("tfjs-node-gpu");
    expect(trainerEnv({ CONCORD_TF_BACKEND: "node" }).CONCORD_TF_BACKEND).toBe("tfjs-node");
    expect(backendOptions(env)).toEqual({ force: true, nativeKernels: false, requireNative: true });
  });

  it("names every malformed variable", () => {
    let error: unknown;
    try {
      trainerEnv({ CONCORD_TF_BACKEND: "metal", CONCORD_NATIVE_KERNELS: "off" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainerEnvError);
    expect((error as Error).message).toMatch(/"auto".*\n\s+→ at CONCORD_TF_BACKEND/);
    expect((error as Error).message).toMatch(/"0"\|"1"\n\s+→ at CONCORD_NATIVE_KERNELS/);
  });
});
