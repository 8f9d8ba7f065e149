// npm run bench:client [-- --client raw,node --annotators 1000 --seconds 15 --think 2]
// The open loop's load generator alone: what the simulated browsers (page-loop.ts + http-client.ts, as
// `bench:votes -- --open` runs them) cost in CPU per vote, against a stub server in another process that
// answers the labelling page's two calls at once (Content-Length JSON with a ~3 KB face, as server.mjs's
// direct routes answer). No web server, no Postgres, no lock: a quick A/B of client changes on a shared
// machine; the figure that counts stays the one `bench:votes -- --open` prints per step.
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { browserClient, CLIENT_KINDS, type TClientKind } from "./http-client";
import { newRecorder, SimulatedPage } from "./page-loop";

const { values } = parseArgs({
  options: {
    client: { type: "string", default: CLIENT_KINDS.join(",") },
    annotators: { type: "string", default: "1000" },
    seconds: { type: "string", default: "15" },
    think: { type: "string", default: "2" },
  },
});
const clients = values.client.split(",") as TClientKind[];
const n = Number(values.annotators);
const seconds = Number(values.seconds);
const thinkMs = Number(values.think) * 1000;
if (
  clients.some((c) => !CLIENT_KINDS.includes(c)) ||
  !(n >= 1 && n <= 5000) ||
  !(seconds > 0 && seconds <= 600)
) {
  console.error(
    `bench:client: --client ${CLIENT_KINDS.join("|")} (comma list), --annotators 1..5000, --seconds 1..600`,
  );
  process.exit(2);
}

const STUB = `
const http = require("node:http");
const face = "data:image/png;base64," + "A".repeat(3200);
let n = 0;
const task = () => ({ imageId: "img" + n++, image: face, votes: 0 });
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    let status = 200, answer;
    if (req.method === "GET") answer = { task: task() };
    else {
      const b = JSON.parse(Buffer.concat(chunks).toString());
      status = 201;
      answer = { vote: { id: "v-" + b.requestId, imageId: b.imageId, label: b.label }, next: b.next ? task() : undefined };
    }
    const text = JSON.stringify(answer);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
`;

const RAMP_MS = 3_000;
const SETTLE_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stub = spawn(process.execPath, ["-e", STUB], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise<number>((resolve) =>
  stub.stdout.once("data", (d: Buffer) => resolve(Number(d))),
);
try {
  for (const kind of clients) {
    const recorder = newRecorder(new Map(), { votes: 0 });
    const pages = Array.from(
      { length: n },
      (_, i) =>
        new SimulatedPage(
          browserClient(kind, `http://127.0.0.1:${port}`, `next-auth.session-token=${"x".repeat(400)}${i}`),
          "carry",
          thinkMs,
          recorder,
        ),
    );
    for (const page of pages) setTimeout(() => page.start(), Math.random() * RAMP_MS);
    await sleep(RAMP_MS + SETTLE_MS);
    recorder.window = { from: performance.now(), to: performance.now() + seconds * 1000 };
    const before = process.cpuUsage();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(before);
    const load = loadavg()[0] as number;
    await Promise.all(pages.map((p) => p.stop()));
    for (const page of pages) page.close();
    const statuses = Object.fromEntries(recorder.calls.vote.statuses);
    const ms = (cpu.user + cpu.system) / 1000;
    console.log(
      `${kind.padEnd(4)} ${n} people, ${seconds} s: ${(recorder.acks / seconds).toFixed(1)} votes/s, client CPU per vote ` +
        `${(ms / Math.max(1, recorder.acks)).toFixed(3)} ms (user ${(cpu.user / 1000 / Math.max(1, recorder.acks)).toFixed(3)}, ` +
        `system ${(cpu.system / 1000 / Math.max(1, recorder.acks)).toFixed(3)}), votes ${JSON.stringify(statuses)}, load average ${load.toFixed(1)}`,
    );
    await sleep(1_000);
  }
} finally {
  stub.kill();
}
process.exit(0);
