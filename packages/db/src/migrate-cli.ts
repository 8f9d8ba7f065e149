import { getDatabaseUrl } from "./env";
import { ensureDatabase, migrate } from "./migrate";

const url = getDatabaseUrl();
await ensureDatabase(url);
const { applied, alreadyApplied } = await migrate(url);
console.log(
  `migrations: ${applied.length} applied${applied.length ? ` (${applied.join(", ")})` : ""}, ${alreadyApplied.length} already there`,
);
