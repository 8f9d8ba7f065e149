// flock(1) on a file, held by a child `flock FILE cat` until its stdin closes (our release, or our death), so
// a crashed run never leaves it held.
import { spawn } from "node:child_process";

// apps/web/.next is one folder per checkout: whoever builds it or serves from it (the e2e harness, the load
// bench, `npm start` while it builds) holds this lock, so nobody rebuilds .next under a running server.
export const WEB_BUILD_LOCK = "/tmp/concord-e2e.lock";

export async function holdLock(file: string, log: (m: string) => void): Promise<() => void> {
  const child = spawn("flock", [file, "sh", "-c", "echo locked; exec cat"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const note = setTimeout(
    () => log(`waiting for ${file} (an e2e run, the load bench or an npm start build holds it)…`),
    2000,
  );
  try {
    await new Promise<void>((ok, fail) => {
      child.stdout.once("data", () => ok());
      child.once("exit", (code) => fail(new Error(`flock ${file} exited with ${code}`)));
    });
  } finally {
    clearTimeout(note);
  }
  return () => {
    child.stdin.end();
  };
}
