// The peer: how fast the same Postgres takes the same row. N concurrent callers (as many as simulated
// annotators) each loop a single-row INSERT into "Vote" (same columns, constraints and indexes as the API's
// rows) through one pg pool of the web's size. No HTTP, no session, no assignment: the floor cost of a vote.
import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { percentile } from "./annotators";
import { FERPLUS } from "./seed";

export type TPeerResult = { inserts: number; perSecond: number; p50: number; p99: number; errors: number };

export async function rawInsertPeer(options: {
  databaseUrl: string;
  concurrency: number;
  poolSize: number;
  seconds: number;
  imageIds: string[];
}): Promise<TPeerResult> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize });
  // An idle connection closed by the server (e.g. the database being dropped) must not crash the bench.
  pool.on("error", () => {});
  try {
    // Peer rows get their own annotators, so (imageId, annotatorId) never collides with the API's votes.
    const annotators: string[] = [];
    const now = new Date();
    for (let k = 0; k < options.concurrency; k++) {
      const id = `peer${randomBytes(10).toString("hex")}`;
      await pool.query(
        `INSERT INTO "User" (id, email, name, "passwordHash", role, "createdAt", "updatedAt")
         VALUES ($1, $2, $3, 'x', 'ANNOTATOR', $4, $4)`,
        [id, `${id}@peer.local`, id, now],
      );
      annotators.push(id);
    }
    const latencies: number[] = [];
    let errors = 0;
    const deadline = Date.now() + options.seconds * 1000;
    const t0 = performance.now();
    await Promise.all(
      annotators.map(async (annotatorId) => {
        for (let i = 0; i < options.imageIds.length && Date.now() < deadline; i++) {
          const s = performance.now();
          try {
            await pool.query(
              `INSERT INTO "Vote" (id, "imageId", "annotatorId", label, "durationMs", "requestId", "isGold", "createdAt")
               VALUES ($1, $2, $3, $4, $5, $6, false, now())`,
              [
                `c${randomBytes(12).toString("hex")}`,
                options.imageIds[i],
                annotatorId,
                FERPLUS[i % 10],
                900,
                randomUUID(),
              ],
            );
            latencies.push(performance.now() - s);
          } catch {
            errors++;
          }
        }
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      inserts: latencies.length,
      perSecond: latencies.length / wall,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      errors,
    };
  } finally {
    await pool.end();
  }
}
