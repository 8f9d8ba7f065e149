// The code a run trained with, recorded on TrainingRun.codeVersion: CONCORD_CODE_VERSION when the image was
// stamped at build time (containers carry no .git), else `git rev-parse HEAD` of this checkout ("+dirty" when
// tracked files differ from it), else "unknown: <why>".
import { execFileSync } from "node:child_process";
import { repoRoot } from "./env";

let cached: string | undefined;

function git(args: string[], cwd: string): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 10_000,
  }).trim();
}

export function readCodeVersion(stamp: string | undefined, cwd: string = repoRoot): string {
  if (stamp) return stamp;
  try {
    const head = git(["rev-parse", "HEAD"], cwd);
    const dirty = git(["status", "--porcelain", "--untracked-files=no"], cwd) !== "";
    return dirty ? `${head}+dirty` : head;
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message?: string };
    const why =
      e.code === "ENOENT"
        ? "git is not installed"
        : /not a git repository/i.test(e.stderr ?? e.message ?? "")
          ? "not a git checkout"
          : `git failed (${(e.stderr || e.message || "").trim().split("\n")[0]})`;
    return `unknown: ${why} and CONCORD_CODE_VERSION is not set`;
  }
}

/** Once per process (the sandboxed child runs many jobs). */
export function codeVersion(stamp: string | undefined): string {
  cached ??= readCodeVersion(stamp);
  return cached;
}

/** A resumed run whose attempts ran different code keeps both, in order ("a then b"). */
export function nextCodeVersion(previous: string | null, current: string): string {
  if (!previous || previous === current || previous.endsWith(` then ${current}`)) return previous || current;
  return `${previous} then ${current}`;
}
