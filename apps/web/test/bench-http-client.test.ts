// The open-loop bench's HTTP clients (bench/http-client.ts) against a real node:http server: both clients
// must behave the same (the bench compares their CPU at equal behaviour), the raw one being a hand-written
// HTTP/1.1 parser on node:net.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { browserClient, CLIENT_KINDS, type TBrowser } from "../bench/http-client";

type THandler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

let server: http.Server;
let baseUrl: string;
let connections: number;
let handler: THandler;
const clients: TBrowser[] = [];

beforeEach(async () => {
  connections = 0;
  handler = (_req, res) => res.end("{}");
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  server.keepAliveTimeout = 5_000;
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(CLIENT_KINDS)("bench http client: %s", (kind) => {
  const client = (options?: Parameters<typeof browserClient>[3]) => {
    const c = browserClient(kind, baseUrl, "session=abc", options);
    clients.push(c);
    return c;
  };

  it("sends the page's headers and JSON body, reads a Content-Length answer, and reuses one connection", async () => {
    const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
    handler = (req, res, body) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const text = JSON.stringify({ echo: body ? JSON.parse(body) : null, n: seen.length, é: "ü" });
      res.writeHead(201, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    const c = client();
    const a = await c.request("POST", "/api/votes", { imageId: "i1", label: "happy", next: {} });
    const b = await c.request("GET", "/api/tasks/next?x=1");
    const d = await c.request("GET", "/api/tasks/next");
    expect(a).toEqual({
      status: 201,
      body: { echo: { imageId: "i1", label: "happy", next: {} }, n: 1, é: "ü" },
    });
    expect(b).toEqual({ status: 201, body: { echo: null, n: 2, é: "ü" } });
    expect(d.body).toMatchObject({ n: 3 });
    expect(connections).toBe(1);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST /api/votes",
      "GET /api/tasks/next?x=1",
      "GET /api/tasks/next",
    ]);
    expect(seen[0]?.headers).toMatchObject({
      cookie: "session=abc",
      origin: baseUrl,
      accept: "application/json",
      "content-type": "application/json",
      host: new URL(baseUrl).host,
    });
    expect(seen[1]?.headers["content-length"]).toBeUndefined();
  });

  it("opens at most maxSockets connections; requests beyond wait their turn", async () => {
    let active = 0;
    let most = 0;
    handler = (_req, res) => {
      most = Math.max(most, ++active);
      setTimeout(() => {
        active--;
        res.end('{"ok":true}');
      }, 30);
    };
    const c = client({ maxSockets: 2 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => c.request("GET", "/x")));
    expect(answers.every((a) => a.status === 200 && (a.body as { ok: boolean }).ok)).toBe(true);
    expect(most).toBe(2);
    expect(connections).toBe(2);
  });

  it("reads a chunked answer, small or split over many packets", async () => {
    const big = { rows: Array.from({ length: 20_000 }, (_, i) => `row-${i}`) };
    handler = (req, res) => {
      res.writeHead(200, { "content-type": "application/json" }); // no length: chunked
      const text = JSON.stringify(req.url === "/big" ? big : { a: 1 });
      for (let i = 0; i < text.length; i += 7_000) res.write(text.slice(i, i + 7_000));
      res.end();
    };
    const c = client();
    expect(await c.request("GET", "/small")).toEqual({ status: 200, body: { a: 1 } });
    expect(await c.request("GET", "/big")).toEqual({ status: 200, body: big });
    expect(await c.request("GET", "/small")).toEqual({ status: 200, body: { a: 1 } });
    expect(connections).toBe(1);
  });

  it("reads an answer that arrives in pieces, split inside its head and its body", async () => {
    const text = JSON.stringify({ vote: { id: "v1" }, next: { imageId: "i2" } });
    const whole = `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}`;
    handler = (req, res) => {
      res.detachSocket(req.socket);
      const cuts = [0, 10, 40, whole.length - text.length + 5, whole.length];
      cuts.slice(1).forEach((end, i) => {
        setTimeout(() => req.socket.write(whole.slice(cuts[i], end)), 20 * (i + 1));
      });
    };
    const c = client();
    expect(await c.request("GET", "/a")).toEqual({ status: 201, body: JSON.parse(text) });
  });

  it("an empty or non-JSON body keeps its status with a null body", async () => {
    handler = (req, res) => {
      if (req.url === "/empty") return void res.writeHead(204).end();
      res.writeHead(502, { "content-type": "text/html" }).end("<h1>Bad gateway</h1>");
    };
    const c = client();
    expect(await c.request("GET", "/empty")).toEqual({ status: 204, body: null });
    expect(await c.request("GET", "/html")).toEqual({ status: 502, body: null });
    expect(connections).toBe(1);
  });

  it("`Connection: close` answers are read, and the next request opens a new connection", async () => {
    handler = (_req, res) => {
      res.shouldKeepAlive = false;
      res.end('{"closing":true}');
    };
    const c = client();
    expect(await c.request("GET", "/a")).toEqual({ status: 200, body: { closing: true } });
    expect(await c.request("GET", "/b")).toEqual({ status: 200, body: { closing: true } });
    expect(connections).toBe(2);
  });

  it("a body that ends with the connection (no length, not chunked) is read to the close", async () => {
    handler = (req, res) => {
      // HTTP/1.0-style answer written on the raw socket
      req.socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"till":"close"}');
      res.detachSocket(req.socket);
    };
    const c = client();
    expect(await c.request("GET", "/a")).toEqual({ status: 200, body: { till: "close" } });
  });

  it("a connection the server drops without answering is a network error; the next request reconnects", async () => {
    handler = (req, res) => {
      if (req.url === "/drop") return void req.socket.destroy();
      res.end('{"ok":1}');
    };
    const c = client();
    expect(await c.request("GET", "/ok")).toEqual({ status: 200, body: { ok: 1 } });
    expect(await c.request("POST", "/drop", { a: 1 })).toEqual({ status: 0, body: null, error: "network" });
    expect(await c.request("GET", "/ok")).toEqual({ status: 200, body: { ok: 1 } });
    expect(connections).toBe(2);
  });

  it("a keep-alive connection the server closed while idle is not reused", async () => {
    // node:http's server closes an idle connection keepAliveTimeout + 1 s after its last answer (node:http's
    // client closes it itself at once: it honours the `Keep-Alive: timeout=0` hint; raw does not).
    server.keepAliveTimeout = 100;
    const c = client();
    expect((await c.request("GET", "/")).status).toBe(200);
    await sleep(1_400);
    expect(await c.request("GET", "/")).toEqual({ status: 200, body: {} });
    expect(connections).toBe(2);
  });

  it("a request without an answer within timeoutMs is a timeout, and its connection is not reused", async () => {
    handler = (req, res) => {
      if (req.url === "/slow") return; // never answers
      res.end('{"ok":1}');
    };
    const c = client({ timeoutMs: 300 });
    const t0 = performance.now();
    expect(await c.request("GET", "/slow")).toEqual({ status: 0, body: null, error: "timeout" });
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1_500);
    expect(await c.request("GET", "/ok")).toEqual({ status: 200, body: { ok: 1 } });
    expect(connections).toBe(2);
  });

  it("a refused connection is a network error", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const c = browserClient(kind, `http://127.0.0.1:${port}`, "session=abc");
    clients.push(c);
    expect(await c.request("GET", "/")).toEqual({ status: 0, body: null, error: "network" });
  });

  it("closes a connection idle for idleMs (before the server's keep-alive timeout would)", async () => {
    let closedByClient = 0;
    server.on("connection", (socket) => socket.on("end", () => closedByClient++));
    const c = client({ idleMs: 150 });
    expect((await c.request("GET", "/")).status).toBe(200);
    await sleep(800);
    expect(closedByClient).toBe(1);
    expect((await c.request("GET", "/")).status).toBe(200);
    expect(connections).toBe(2);
  });
});
