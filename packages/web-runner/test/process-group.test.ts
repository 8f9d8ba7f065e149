import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { freePort, isPortOpen } from "../src/port";
import { startServer } from "../src/process-group";

// A stand-in server: answers 200 on /login after `delayMs`, and starts a grandchild (`sleep`) that only a
// signal to the whole group stops.
function fakeServer(port: number, delayMs: number): string {
  return `
const { spawn } = require("node:child_process");
const grandchild = spawn("sleep", ["300"], { stdio: "ignore" });
console.log("grandchild " + grandchild.pid);
setTimeout(() => {
  require("node:http").createServer((req, res) => { res.statusCode = req.url === "/login" ? 200 : 404; res.end("ok"); })
    .listen(${port}, "127.0.0.1", () => console.log("listening"));
}, ${delayMs});`;
}

// Dead includes a zombie: in a container whose init does not reap, an orphan stays listed as Z.
const isAlive = (pid: number) => {
  const stat = spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout.trim();
  return stat !== "" && !stat.startsWith("Z");
};

describe("startServer", () => {
  it("waits until the URL answers, then stops the whole process group", async () => {
    const port = await freePort();
    const readyUrl = `http://127.0.0.1:${port}/login`;
    const server = await startServer({
      command: process.execPath,
      args: ["-e", fakeServer(port, 600)],
      cwd: process.cwd(),
      env: process.env,
      readyUrl,
      timeoutMs: 20_000,
    });
    // Ready means the URL answers (the server's own "listening" line may still be in the pipe: a loaded CI
    // machine once read the answer first).
    expect((await fetch(readyUrl)).status).toBe(200);
    const grandchild = Number(/grandchild (\d+)/.exec(server.output())![1]);
    expect(isAlive(grandchild)).toBe(true);
    await server.stop();
    expect(await isPortOpen(port)).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(grandchild)).toBe(false);
  });

  it("a server that dies puts its output in the error", async () => {
    await expect(
      startServer({
        command: process.execPath,
        args: ["-e", 'console.error("Error: could not find a production build"); process.exit(1)'],
        cwd: process.cwd(),
        env: process.env,
        readyUrl: `http://127.0.0.1:${await freePort()}/login`,
      }),
    ).rejects.toThrow(/exited \(1\):\nError: could not find a production build/);
  });

  it("gives up after the timeout and leaves nothing running", async () => {
    const port = await freePort();
    const started = startServer({
      command: process.execPath,
      args: ["-e", fakeServer(port, 60_000)],
      cwd: process.cwd(),
      env: process.env,
      readyUrl: `http://127.0.0.1:${port}/login`,
      timeoutMs: 1_500,
    });
    const error = (await started.catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/did not answer .* within 1.5 s:\ngrandchild \d+/);
    const grandchild = Number(/grandchild (\d+)/.exec(error.message)![1]);
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(grandchild)).toBe(false);
  });
});

describe("liveGroupMembers", () => {
  it("lists a group's processes, grandchildren included, until the last one is gone", async () => {
    const { spawn } = await import("node:child_process");
    const { liveGroupMembers } = await import("../src/process-group");
    // The leader exits at once; its grandchild (a sleep in the same group) keeps the group alive.
    const child = spawn("sh", ["-c", "sleep 1.5 & exit 0"], { detached: true, stdio: "ignore" });
    const pgid = child.pid!;
    await new Promise((r) => child.once("exit", r));
    expect(liveGroupMembers(pgid).length).toBe(1);
    await new Promise((r) => setTimeout(r, 2500));
    expect(liveGroupMembers(pgid)).toEqual([]);
  });
});
