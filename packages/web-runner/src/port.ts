// Ports for the servers we start: an OS-assigned one for throwaway servers, or the first free one from a
// preferred port for the ones people type into a browser (3000, 3100, ...).
import { createConnection, createServer } from "node:net";

export function isPortOpen(port: number, host = "127.0.0.1", timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolvePromise(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function ephemeralPort(host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

// Without `preferred`: a port the OS just handed out on `host`. With it: the first of preferred..preferred+99
// that nothing answers on.
export async function freePort(preferred?: number, host = "127.0.0.1"): Promise<number> {
  if (preferred === undefined) return ephemeralPort(host);
  for (let port = preferred; port < preferred + 100; port++) {
    if (!(await isPortOpen(port, host, 300))) return port;
  }
  throw new Error(`no free port in ${preferred}..${preferred + 99}`);
}
