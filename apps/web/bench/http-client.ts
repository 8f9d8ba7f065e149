// The open-loop bench's HTTP clients, one per simulated browser: a person's browser keeps its own keep-alive
// connections (6 per host, as browsers do), reused one request at a time. The bench runs on the same cores
// as the web server and Postgres, so whatever CPU the client spends per request is taken from the system
// under test; two implementations of the same behaviour, `--client raw|node`:
//   raw:  a minimal HTTP/1.1 client on node:net sockets (below): the request written as one pre-serialised
//         string, the answer parsed from the socket's buffers (Content-Length, chunked, or up to the close;
//         `Connection: close` honoured). The default: it measured cheaper (bench/README.md).
//   node: node:http's keep-alive Agent and ClientRequest (the reference).
// Both close a connection idle for `idleMs` (4 s) before the server's 5 s keep-alive timeout would, so a
// request never lands on a socket the server is closing, and answer a request that takes longer than
// `timeoutMs` (15 s), a refused or broken connection or a malformed HTTP answer with status 0 and `error`
// (the page retries those); a body that is not JSON is `null` with its status.
import http from "node:http";
import net from "node:net";

export type TAnswer = { status: number; body: unknown; error?: "timeout" | "network" };
export type TBrowser = {
  request(method: "GET" | "POST", path: string, body?: unknown): Promise<TAnswer>;
  close(): void;
};
export type TClientKind = "raw" | "node";
export const CLIENT_KINDS: readonly TClientKind[] = ["raw", "node"];
export type TClientOptions = { timeoutMs?: number; idleMs?: number; maxSockets?: number };

const REQUEST_TIMEOUT_MS = 15_000;
const IDLE_SOCKET_MS = 4_000;
const MAX_SOCKETS = 6;

export function browserClient(
  kind: TClientKind,
  baseUrl: string,
  cookie: string,
  options: TClientOptions = {},
): TBrowser {
  return kind === "raw" ? rawClient(baseUrl, cookie, options) : nodeClient(baseUrl, cookie, options);
}

const parseBody = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

export function nodeClient(baseUrl: string, cookie: string, options: TClientOptions = {}): TBrowser {
  const url = new URL(baseUrl);
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? MAX_SOCKETS,
    timeout: options.idleMs ?? IDLE_SOCKET_MS,
  });
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
            res.on("end", () =>
              finish({
                status: res.statusCode ?? 0,
                body: parseBody(Buffer.concat(chunks).toString("utf8")),
              }),
            );
            res.on("error", () => finish({ status: 0, body: null, error: "network" }));
          },
        );
        req.setTimeout(timeoutMs, () => {
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

// ---- raw: node:net ----

type TPending = { text: string; resolve: (answer: TAnswer) => void };

const NETWORK: TAnswer = { status: 0, body: null, error: "network" };
const TIMEOUT: TAnswer = { status: 0, body: null, error: "timeout" };
const HEAD_END = Buffer.from("\r\n\r\n");
const MAX_HEAD_BYTES = 64 * 1024;
const READ_BUFFER = Buffer.alloc(64 * 1024); // every raw socket's reads (one thread: one read at a time)
// How the body of an answer ends.
const Body = { Length: 0, Chunked: 1, UntilClose: 2 } as const;
type TBody = (typeof Body)[keyof typeof Body];

// Request timeouts and idle closes of every raw connection come from one sweep every SWEEP_MS (no timer per
// request, none re-armed on every read and write as a socket timeout is): a timeout fires up to SWEEP_MS
// late and an idle connection closes between idleMs and idleMs + SWEEP_MS (4.25 s < the server's 5 s).
const SWEEP_MS = 250;
const live = new Set<RawConnection>();
let sweeper: NodeJS.Timeout | undefined;
function sweep() {
  const now = performance.now();
  for (const c of live) c.expire(now);
  if (live.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}
function track(c: RawConnection) {
  live.add(c);
  sweeper ??= setInterval(sweep, SWEEP_MS).unref();
}

class RawConnection {
  readonly socket: net.Socket;
  private pending: TPending | null = null;
  private since = 0; // busy: when the request was written; idle: since when
  private buf: Buffer | null = null; // bytes received and not parsed yet
  private status = 0; // 0: the head of the answer is not complete yet
  private body: TBody = Body.Length;
  private remaining = 0; // Length: body bytes still to come
  private parts: Buffer[] = [];
  private keepAlive = true;

  constructor(
    private readonly pool: RawPool,
    host: string,
    port: number,
  ) {
    // Reads land in one shared buffer and come straight to onData (no Readable stream, no Buffer per read):
    // what an answer still needs after its read returns is copied out (detach).
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number) => {
          this.onData(READ_BUFFER.subarray(0, n));
          return true;
        },
      },
    });
    this.socket.on("error", () => {}); // 'close' follows
    this.socket.on("close", () => this.onClose());
    track(this);
  }

  // Writes before the socket is connected are queued by net.Socket.
  send(p: TPending) {
    this.pending = p;
    this.since = performance.now();
    this.socket.write(p.text);
  }

  expire(now: number) {
    if (this.pending) {
      if (now - this.since >= this.pool.timeoutMs) this.fail(TIMEOUT);
    } else if (now - this.since >= this.pool.idleMs) this.socket.destroy();
  }

  private fail(answer: TAnswer) {
    const p = this.pending;
    this.pending = null;
    this.socket.destroy();
    p?.resolve(answer);
  }

  private onClose() {
    live.delete(this);
    if (this.pending && this.status > 0 && this.body === Body.UntilClose) this.complete();
    else this.fail(NETWORK);
    this.pool.closed(this);
  }

  private onData(chunk: Buffer) {
    if (!this.pending) return void this.socket.destroy(); // bytes nobody asked for: not reusable
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.status !== 0 || this.parseHead()) this.parseBody();
    if (this.pending) this.detach();
  }

  private parseBody() {
    const buf = this.buf as Buffer;
    if (this.body === Body.Length) {
      const take = Math.min(this.remaining, buf.length);
      if (take > 0) this.parts.push(take === buf.length ? buf : buf.subarray(0, take));
      this.remaining -= take;
      this.buf = take === buf.length ? null : buf.subarray(take);
      if (this.remaining === 0) this.complete();
    } else if (this.body === Body.Chunked) {
      if (this.parseChunks()) this.complete();
    } else {
      this.parts.push(buf);
      this.buf = null;
    }
  }

  // The answer goes on in a later read, which reuses READ_BUFFER: keep copies of what is still needed.
  private detach() {
    const shared = (b: Buffer) => b.buffer === READ_BUFFER.buffer;
    if (this.buf && shared(this.buf)) this.buf = Buffer.from(this.buf);
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i] as Buffer;
      if (shared(part)) this.parts[i] = Buffer.from(part);
    }
  }

  // The status line and headers; false while they are incomplete (or on a malformed answer: failed).
  private parseHead(): boolean {
    const buf = this.buf as Buffer;
    const end = buf.indexOf(HEAD_END);
    if (end < 0) {
      if (buf.length > MAX_HEAD_BYTES) this.fail(NETWORK);
      return false;
    }
    const head = buf.toString("latin1", 0, end);
    const status = Number(head.slice(9, 12));
    if (!head.startsWith("HTTP/1.") || !(status >= 100 && status < 600)) {
      this.fail(NETWORK);
      return false;
    }
    this.buf = buf.subarray(end + 4);
    if (status < 200) return this.buf.length > 0 && this.parseHead(); // 1xx: the real head follows
    let length = -1;
    let chunked = false;
    this.keepAlive = head[7] === "1"; // HTTP/1.0 closes unless it says keep-alive
    for (let i = head.indexOf("\r\n"); i >= 0; ) {
      const next = head.indexOf("\r\n", i + 2);
      const line = head.slice(i + 2, next < 0 ? undefined : next);
      i = next;
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === "content-length") length = Number(line.slice(colon + 1).trim());
      else if (name === "transfer-encoding") chunked = /\bchunked\b/i.test(line.slice(colon + 1));
      else if (name === "connection") {
        const value = line.slice(colon + 1).toLowerCase();
        if (value.includes("close")) this.keepAlive = false;
        else if (value.includes("keep-alive")) this.keepAlive = true;
      }
    }
    this.status = status;
    this.parts = [];
    if (status === 204 || status === 304) {
      this.body = Body.Length;
      this.remaining = 0;
    } else if (chunked) this.body = Body.Chunked;
    else if (length >= 0 && Number.isSafeInteger(length)) {
      this.body = Body.Length;
      this.remaining = length;
    } else {
      this.body = Body.UntilClose;
      this.keepAlive = false;
    }
    return true;
  }

  // Consumes whole chunks from buf; true once the last chunk and the trailers are in.
  private parseChunks(): boolean {
    let buf = this.buf as Buffer;
    for (;;) {
      const eol = buf.indexOf("\r\n");
      if (eol < 0) break;
      const size = Number.parseInt(buf.toString("latin1", 0, eol), 16); // parseInt stops at a ";ext"
      if (!(size >= 0)) {
        this.fail(NETWORK);
        return false;
      }
      if (size === 0) {
        // No trailers: "0\r\n\r\n"; with trailers they end with an empty line.
        const end = buf.indexOf(HEAD_END, eol);
        if (end < 0) break;
        this.buf = buf.subarray(end + 4);
        return true;
      }
      if (buf.length < eol + 2 + size + 2) break;
      this.parts.push(buf.subarray(eol + 2, eol + 2 + size));
      buf = buf.subarray(eol + 2 + size + 2);
    }
    this.buf = buf.length > 0 ? buf : null;
    return false;
  }

  private complete() {
    const p = this.pending as TPending;
    const text =
      this.parts.length === 1
        ? (this.parts[0] as Buffer).toString("utf8")
        : Buffer.concat(this.parts).toString("utf8");
    const answer: TAnswer = { status: this.status, body: parseBody(text) };
    this.pending = null;
    this.status = 0;
    this.parts = [];
    const reusable = this.keepAlive && !this.buf?.length && !this.socket.destroyed; // nothing unasked-for
    this.buf = null;
    if (reusable) {
      this.since = performance.now();
      this.pool.idle(this);
    } else this.socket.destroy();
    p.resolve(answer);
  }
}

// A browser's connections to one origin: at most maxSockets, requests beyond that wait in order, an idle
// connection is reused most recently used first (as node:http's Agent, `scheduling: "lifo"`).
class RawPool {
  readonly timeoutMs: number;
  readonly idleMs: number;
  private readonly maxSockets: number;
  private readonly all = new Set<RawConnection>();
  private readonly free: RawConnection[] = [];
  private readonly waiting: TPending[] = [];
  private isClosed = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    options: TClientOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.idleMs = options.idleMs ?? IDLE_SOCKET_MS;
    this.maxSockets = options.maxSockets ?? MAX_SOCKETS;
  }

  request(text: string): Promise<TAnswer> {
    if (this.isClosed) return Promise.resolve(NETWORK);
    return new Promise((resolve) => {
      this.waiting.push({ text, resolve });
      this.pump();
    });
  }

  idle(c: RawConnection) {
    if (this.isClosed) return void c.socket.destroy();
    this.free.push(c);
    this.pump();
  }

  closed(c: RawConnection) {
    this.all.delete(c);
    const i = this.free.indexOf(c);
    if (i >= 0) this.free.splice(i, 1);
    this.pump();
  }

  close() {
    this.isClosed = true;
    for (const p of this.waiting.splice(0)) p.resolve(NETWORK);
    for (const c of this.all) c.socket.destroy();
  }

  private pump() {
    while (this.waiting.length > 0 && !this.isClosed) {
      let c = this.free.pop();
      // One being closed (idle expiry, the server's FIN) until its 'close' takes it out of the pool.
      while (c && !c.socket.writable) c = this.free.pop();
      if (!c) {
        if (this.all.size >= this.maxSockets) return;
        c = new RawConnection(this, this.host, this.port);
        this.all.add(c);
      }
      c.send(this.waiting.shift() as TPending);
    }
  }
}

export function rawClient(baseUrl: string, cookie: string, options: TClientOptions = {}): TBrowser {
  const url = new URL(baseUrl);
  const pool = new RawPool(url.hostname, Number(url.port || 80), options);
  // The headers node:http's client sends for the same request (Host, Connection from its keep-alive Agent).
  const common = ` HTTP/1.1\r\nhost: ${url.host}\r\ncookie: ${cookie}\r\norigin: ${url.origin}\r\naccept: application/json\r\nconnection: keep-alive\r\n`;
  return {
    request(method, path, body) {
      if (body === undefined) return pool.request(`${method} ${path}${common}\r\n`);
      const payload = JSON.stringify(body);
      return pool.request(
        `${method} ${path}${common}content-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
      );
    },
    close() {
      pool.close();
    },
  };
}
