// Holds flock(1) on a file for the duration of the run: a child `flock FILE cat` owns the lock until its
// stdin closes (our release, or our death), so a crashed run never leaves it held.
import { spawn } from "node:child_process";

export async function holdLock(file: string, log: (m: string) => void): Promise<() => void> {
  const child = spawn("flock", [file, "sh", "-c", "echo locked; exec cat"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const timer = setTimeout(() => log(`e2e: waiting for ${file} (another e2e run holds it)…`), 2000);
  await new Promise<void>((ok, fail) => {
    child.stdout.once("data", () => ok());
    child.once("exit", (code) => fail(new Error(`flock ${file} exited with ${code}`)));
  });
  clearTimeout(timer);
  return () => {
    child.stdin.end();
  };
}
