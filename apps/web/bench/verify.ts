// After the load: does Postgres hold exactly what the API acknowledged? Every 2xx ack must be a row with the
// acknowledged id, no (image, annotator) or requestId twice, no image past its maxVotes.
import pg from "pg";

export type TVerdict = {
  rows: number;
  acked: number;
  ackedMissing: number; // acknowledged but absent (a lost vote)
  ackedWrongId: number; // present under another id than the ack said
  unackedRows: number; // written but never acknowledged (e.g. a client timeout): not a loss, reported
  duplicatePairs: number;
  duplicateRequestIds: number;
  overMaxVotes: number;
};

export async function verifyVotes(databaseUrl: string, acked: Map<string, string>): Promise<TVerdict> {
  const c = new pg.Client({ connectionString: databaseUrl });
  c.on("error", () => {});
  await c.connect();
  try {
    const q = async (sql: string, params: unknown[] = []) => Number((await c.query(sql, params)).rows[0].n);
    const requestIds = [...acked.keys()];
    const found = await c.query<{ requestId: string; id: string }>(
      `SELECT "requestId", id FROM "Vote" WHERE "requestId" = ANY($1::text[])`,
      [requestIds],
    );
    let ackedWrongId = 0;
    for (const row of found.rows) if (acked.get(row.requestId) !== row.id) ackedWrongId++;
    const rows = await q(`SELECT count(*) AS n FROM "Vote"`);
    return {
      rows,
      acked: acked.size,
      ackedMissing: acked.size - found.rowCount!,
      ackedWrongId,
      unackedRows: rows - found.rowCount!,
      duplicatePairs: await q(
        `SELECT count(*) AS n FROM (SELECT 1 FROM "Vote" GROUP BY "imageId", "annotatorId" HAVING count(*) > 1) d`,
      ),
      duplicateRequestIds: await q(
        `SELECT count(*) AS n FROM (SELECT 1 FROM "Vote" WHERE "requestId" IS NOT NULL
         GROUP BY "requestId" HAVING count(*) > 1) d`,
      ),
      overMaxVotes: await q(
        `SELECT count(*) AS n FROM (SELECT v."imageId" FROM "Vote" v JOIN "Image" i ON i.id = v."imageId"
         JOIN "Dataset" d ON d.id = i."datasetId" GROUP BY v."imageId", d."maxVotes" HAVING count(*) > d."maxVotes") o`,
      ),
    };
  } finally {
    await c.end();
  }
}

export function verdictOk(v: TVerdict): boolean {
  return (
    v.ackedMissing === 0 &&
    v.ackedWrongId === 0 &&
    v.duplicatePairs === 0 &&
    v.duplicateRequestIds === 0 &&
    v.overMaxVotes === 0
  );
}
