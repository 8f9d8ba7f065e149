// `npm start` of apps/web (and of every runner: @concord/web-runner's startNext): Next's production server behind
// a plain node:http server that serves the two routes of the labelling loop itself (issue 15).
//
// Why: a face is one POST /api/votes (the answer carries the next face; GET /api/tasks/next fills the queue),
// and Next's request pipeline around a route handler (routing, request adapters, tracing spans, async
// storages, the web-stream response piped back into node:http) cost more CPU than the handler itself:
// ~3-4 ms of web CPU per vote, of which our route code was ~10% of the self time. For these two routes only,
// this server calls the route's own node:http entry, `node` on the exported handler (src/server/guards.ts
// sessionRoute), from the compiled module Next itself loads (.next/server/app/.../route.js, same module
// instance, same pg pool): the route's one implementation with the same session check (next-auth JWT cookie),
// same-origin check, zod validation, role and pause checks, SQL and answers, read from the IncomingMessage and
// written to the ServerResponse without a NextRequest, a Response or a web stream.
// Everything else (pages, other routes, HEAD, other methods, anything not exactly these paths) goes to
// Next's request handler unchanged.
//
// What a direct route does not get from Next: its per-request async storages (cookies()/headers() from
// next/headers, after(), draft mode) and the `Vary: rsc, ...` header of app routes. The routes made with
// sessionRoute use none of them (they read the request they are given).
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";

// "METHOD /path" -> the route file under .next/server/app. Exact paths; a query string is allowed.
const DIRECT = {
  "POST /api/votes": "api/votes",
  "GET /api/tasks/next": "api/tasks/next",
};

const { values } = parseArgs({
  options: {
    port: { type: "string", short: "p" },
    // Not $HOSTNAME: containers set it to their own name. No -H: every interface, as `next start`.
    hostname: { type: "string", short: "H" },
  },
});
const port = Number(values.port ?? process.env.PORT ?? 3000);
const hostname = values.hostname;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`[web] bad port "${values.port ?? process.env.PORT}": an integer 0..65535`);
  process.exit(2);
}

// As `next start`: production unless NODE_ENV says otherwise (set before Next is loaded).
process.env.NODE_ENV ||= "production";
const { default: next } = await import("next");

const dir = import.meta.dirname;
const app = next({ dev: false, dir, hostname, port });
const handleByNext = app.getRequestHandler();
await app.prepare();

const require = createRequire(import.meta.url);

// The route's node:http entry (sessionRoute's `node`), from the module Next's build wrote and Next itself
// requires (Node's module cache: one instance). Fails the start, naming the file, when the build or Next's
// route module shape is not what this expects (a Next upgrade): silently falling back would only show up as
// lost capacity.
async function routeHandler(route, method) {
  const file = join(dir, ".next/server/app", route, "route.js");
  const mod = require(file);
  await mod.routeModule?.ensureUserland?.();
  const handler = mod.routeModule?.userland?.[method]?.node;
  if (typeof handler !== "function")
    throw new Error(
      `${file}: no ${method}.node at routeModule.userland (has Next's route module changed? is the route a sessionRoute?)`,
    );
  return handler;
}

const handlers = new Map();
for (const [key, route] of Object.entries(DIRECT))
  handlers.set(key, await routeHandler(route, key.split(" ")[0]));

function directHandler(req) {
  const q = req.url.indexOf("?");
  return handlers.get(`${req.method} ${q < 0 ? req.url : req.url.slice(0, q)}`);
}

const server = createServer((req, res) => {
  const handler = directHandler(req);
  if (!handler) return void handleByNext(req, res);
  handler(req, res).catch((error) => {
    // The routes answer every error themselves (sessionRoute); this is a bug or an aborted request.
    if (!req.destroyed) console.error(`[web] ${req.method} ${req.url} failed`, error);
    if (res.headersSent) return void res.destroy();
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "Internal error" }));
  });
});

server.on("error", (error) => {
  console.error("[web] server failed", error);
  process.exit(1);
});
server.listen(port, hostname, () => {
  const address = server.address();
  console.log(
    `[web] ready on http://${hostname ?? "localhost"}:${typeof address === "object" ? address?.port : port} (direct: ${Object.keys(DIRECT).join(", ")})`,
  );
});

// Stop taking connections, let requests in flight finish (idle keep-alive sockets are closed at once, busy
// ones after 3 s), then exit: runners give 5 s before SIGKILL, and --cpu-prof writes its profile at exit.
let isClosing = false;
function shutdown() {
  if (isClosing) return;
  isClosing = true;
  setTimeout(() => server.closeAllConnections(), 3000).unref();
  server.close(() => {
    app
      .close()
      .catch(() => {})
      .finally(() => process.exit(0));
  });
  server.closeIdleConnections();
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
