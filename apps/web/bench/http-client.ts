// The open-loop bench's HTTP client: one keep-alive agent per simulated browser (a person's browser keeps its
// own connections; 6 per host, as browsers do), node:http instead of fetch (less client CPU per request, so
// the load generator is not what is measured). Idle sockets close before the server's 5 s keep-alive
// timeout would, so a request never lands on a socket the server is closing.
import http from "node:http";

export type TAnswer = { status: number; body: unknown; error?: "timeout" | "network" };
export type TBrowser = {
  request(method: "GET" | "POST", path: string, body?: unknown): Promise<TAnswer>;
  close(): void;
};

const REQUEST_TIMEOUT_MS = 15_000;
const IDLE_SOCKET_MS = 4_000;

export function browserClient(baseUrl: string, cookie: string): TBrowser {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 6, timeout: IDLE_SOCKET_MS });
  const common = { cookie, origin: url.origin, accept: "application/json" };
  return {
    request(method, path, body) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string | number> = payload
        ? { ...common, "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
        : common;
      return new Promise<TAnswer>((resolve) => {
        let done = false;
        const finish = (answer: TAnswer) => {
          if (done) return;
          done = true;
          resolve(answer);
        };
        const req = http.request(
          { agent, host: url.hostname, port: url.port, method, path, headers },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              let parsed: unknown = null;
              try {
                parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
              } catch {}
              finish({ status: res.statusCode ?? 0, body: parsed });
            });
            res.on("error", () => finish({ status: 0, body: null, error: "network" }));
          },
        );
        req.setTimeout(REQUEST_TIMEOUT_MS, () => {
          finish({ status: 0, body: null, error: "timeout" });
          req.destroy();
        });
        req.on("error", () => finish({ status: 0, body: null, error: "network" }));
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
