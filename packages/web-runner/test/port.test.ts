import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, isPortOpen } from "../src/port";

function listen(port: number): Promise<Server> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(port, "127.0.0.1", () => ok(srv));
  });
}

describe("ports", () => {
  it("an OS-assigned port is free and can be listened on", async () => {
    const port = await freePort();
    expect(await isPortOpen(port)).toBe(false);
    const srv = await listen(port);
    expect(await isPortOpen(port)).toBe(true);
    srv.close();
  });

  it("from a preferred port, skips the ones in use", async () => {
    const first = await freePort(47200);
    const srv = await listen(first);
    try {
      expect(await freePort(first)).toBeGreaterThan(first);
    } finally {
      srv.close();
    }
  });
});
