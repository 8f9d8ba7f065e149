import { createDb, type TDb } from "@concord/db";
import { inject } from "vitest";

// Direct access to the e2e database, to check what the UI and APIs wrote.
export function e2eDb(): TDb {
  return createDb(inject("databaseUrl"), 2);
}
