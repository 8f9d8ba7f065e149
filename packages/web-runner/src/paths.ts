// Where the web app lives, for every runner of it: the runner resolves the app by path and never imports it.
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "../../..");
export const webDir = join(repoRoot, "apps/web");

// Next's own CLI, run with node directly: no npm/npx wrapper between our process group and the server.
export function nextBinOf(root: string): string {
  return join(root, "node_modules/next/dist/bin/next");
}
