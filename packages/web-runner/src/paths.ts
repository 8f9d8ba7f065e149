// Where the web app lives, for every runner of it: the runner resolves the app by path and never imports it.
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "../../..");
export const webDir = join(repoRoot, "apps/web");

// apps/web's production server (Next's request handler behind node:http, see apps/web/server.mjs), run with
// node directly: no npm/npx wrapper between our process group and the server.
export function webServerOf(root: string): string {
  return join(root, "apps/web/server.mjs");
}
