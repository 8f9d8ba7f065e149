// A second `next start` of the build the global setup made, pointed at a database of the test's own (the
// fault tests stop and start that database; the shared server on 5432 is never touched). The process handling
// is the load benchmark's (apps/web/bench/server.ts): one implementation of "start next, wait, stop its group".
import { startWeb, type TWebServer } from "@concord/web/bench/server";

export { freePort } from "@concord/web/bench/server";

export type TOwnWeb = TWebServer;

export function startOwnWeb(databaseUrl: string): Promise<TOwnWeb> {
  return startWeb(databaseUrl);
}
