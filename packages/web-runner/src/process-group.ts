// A server process in its own process group: started, waited for until a URL answers 200, stopped with its
// whole tree (the group is ours, so signalling it by id reaches nothing else).
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export type TServerProcess = {
  child: ChildProcess;
  output: () => string; // the last 50 kB of stdout + stderr
  stop: () => Promise<void>;
};

export type TStartServerOptions = {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  readyUrl: string;
  timeoutMs?: number;
  onOutput?: (text: string) => void;
  onSpawn?: (child: ChildProcess) => void; // before the wait: lets a caller stop it on Ctrl-C meanwhile
};

const OUTPUT_KEPT = 50_000;

/**
 * The live members of a process group (zombies excluded: in a container whose init does not reap, an orphan
 * stays listed as Z forever, and kill(-pgid, 0) still succeeds for it). Linux reads /proc; elsewhere the
 * group counts as alive while it can be signalled.
 */
export function liveGroupMembers(pgid: number): number[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const live: number[] = [];
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") live.push(Number(pid));
  }
  return live;
}

// SIGTERM to the group, SIGKILL after `graceMs` if it is still there.
export async function stopProcessGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return; // the group is gone already
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => {
    timer = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {}
      r();
    }, graceMs);
  });
  await Promise.race([exited, late]);
  clearTimeout(timer);
}

export async function startServer(options: TStartServerOptions): Promise<TServerProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  let output = "";
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const append = (c: Buffer) => {
    const text = c.toString();
    output = (output + text).slice(-OUTPUT_KEPT);
    options.onOutput?.(text);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  options.onSpawn?.(child);
  const spawnError = new Promise<Error>((r) => child.once("error", r));
  let failed: Error | undefined;
  void spawnError.then((e) => {
    failed = e;
  });
  const server = { child, output: () => output, stop: () => stopProcessGroup(child) };
  const name = [options.command, ...options.args].join(" ");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (failed) throw new Error(`${name} could not start: ${failed.message}`);
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    const ok = await fetch(options.readyUrl, { signal: AbortSignal.timeout(5_000) })
      .then(async (r) => {
        await r.arrayBuffer();
        return r.status === 200;
      })
      .catch(() => false);
    if (ok) return server;
    await new Promise((r) => setTimeout(r, 200));
  }
  await server.stop();
  throw new Error(`${name} did not answer ${options.readyUrl} within ${timeoutMs / 1000} s:\n${output}`);
}
