import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../../..");

// `docker compose` (v2 plugin) or Debian's `docker-compose` (v1.29) validate the file without an engine.
function composeCommand(): string[] | null {
  if (spawnSync("docker", ["compose", "version"]).status === 0) return ["docker", "compose"];
  if (spawnSync("docker-compose", ["version"]).status === 0) return ["docker-compose"];
  return null;
}

const compose = composeCommand();

describe.skipIf(!compose)(
  "docker-compose.yml (skipped: neither `docker compose` nor `docker-compose` is installed)",
  () => {
    it("validates, with the GPU worker reserving an NVIDIA device", () => {
      const [bin, ...pre] = compose!;
      const env = { ...process.env, NEXTAUTH_SECRET: "test" };
      const check = spawnSync(bin!, [...pre, "-f", "docker-compose.yml", "config", "-q"], {
        cwd: root,
        env,
        encoding: "utf8",
      });
      expect(check.stderr).toBe("");
      expect(check.status).toBe(0);
      const full = spawnSync(bin!, [...pre, "-f", "docker-compose.yml", "--profile", "gpu", "config"], {
        cwd: root,
        env,
        encoding: "utf8",
      });
      expect(full.stdout).toMatch(/worker-gpu:[\s\S]*capabilities:\s*\n\s*- gpu[\s\S]*driver: nvidia/);
      for (const service of ["postgres:", "redis:", "web:", "worker:"])
        expect(full.stdout).toContain(service);
    });
  },
);
