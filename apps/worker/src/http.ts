// Operator endpoints: /healthz, /metrics (queue counts, JSON) and Bull Board behind a token.
import { timingSafeEqual } from "node:crypto";
import type { Server } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { TDb } from "@concord/db";
import { QUEUE_NAMES, type TJobsClient } from "@concord/jobs";
import express, { type NextFunction, type Request, type Response } from "express";
import type { TWorkerEnv } from "./env";

export const BOARD_PATH = "/admin/queues";

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Bearer token, or HTTP Basic with the token as password (so a browser link from the web admin works). */
export function boardAuth(token: string | undefined) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!token) {
      res.status(503).type("text").send("Bull Board is disabled: set CONCORD_BOARD_TOKEN on the worker.");
      return;
    }
    const header = req.headers.authorization ?? "";
    const [scheme, value = ""] = header.split(" ");
    let given = "";
    if (scheme === "Bearer") given = value;
    if (scheme === "Basic") given = Buffer.from(value, "base64").toString().split(":").slice(1).join(":");
    if (given && sameSecret(given, token)) return next();
    res.set("WWW-Authenticate", 'Basic realm="Concord queues"').status(401).type("text").send("Unauthorized");
  };
}

export function createHttpApp(deps: { env: TWorkerEnv; db: TDb; jobs: TJobsClient; startedAt: number }) {
  const { env, db, jobs } = deps;
  const app = express();
  app.disable("x-powered-by");

  app.get("/healthz", async (_req, res) => {
    const [redis, postgres] = await Promise.all([
      jobs.isAvailable(),
      db.$queryRaw`SELECT 1`.then(
        () => true,
        () => false,
      ),
    ]);
    const ok = redis && postgres;
    res.status(ok ? 200 : 503).json({
      ok,
      redis,
      postgres,
      queues: env.CONCORD_WORKER_QUEUES,
      concurrency: env.CONCORD_WORKER_CONCURRENCY,
      backend: env.CONCORD_TF_BACKEND,
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    });
  });

  app.get("/metrics", async (_req, res) => {
    try {
      res.json({ prefix: jobs.prefix, consumes: env.CONCORD_WORKER_QUEUES, queues: await jobs.counts() });
    } catch (error) {
      res.status(503).json({ error: (error as Error).message });
    }
  });

  const board = new ExpressAdapter();
  board.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(jobs.queue(name))),
    serverAdapter: board,
  });
  app.use(BOARD_PATH, boardAuth(env.CONCORD_BOARD_TOKEN), withoutWebFonts, board.getRouter());
  return app;
}

/** Bull Board's page links Google Fonts; its CSS falls back to system fonts, so nothing leaves the network. */
export const WEB_FONT_LINK = /<link[^>]+href="https:\/\/fonts\.(googleapis|gstatic)\.com[^>]*>\s*/g;

function withoutWebFonts(_req: Request, res: Response, next: NextFunction) {
  const render = res.render.bind(res);
  res.render = ((view: string, options?: object) =>
    render(view, options ?? {}, (error: Error | null, html: string) => {
      if (error) return next(error);
      res.type("html").send(html.replace(WEB_FONT_LINK, ""));
    })) as Response["render"];
  next();
}

export function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}
