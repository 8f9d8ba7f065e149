import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { runArtifactPath } from "@/server/runs/runs";
import { buildTar } from "@/server/runs/tar";

// The saved tfjs model (model.json + weight shards) as one .tar download.
export const GET = withRole<{ id: string }>(["ADMIN", "RESEARCHER"], async (_req, { params }) => {
  const dir = await runArtifactPath(params.id);
  if (!dir) return jsonError(404, "This run has no model artifact (not finished, failed or cancelled)");
  const info = await stat(dir).catch(() => null);
  if (!info) return jsonError(410, "The artifact folder is gone from this server");
  const files = info.isDirectory() ? (await readdir(dir)).sort() : [path.basename(dir)];
  const base = info.isDirectory() ? dir : path.dirname(dir);
  const entries = [];
  for (const name of files) {
    const full = path.join(base, name);
    const s = await stat(full);
    if (!s.isFile()) continue;
    entries.push({
      name: `run-${params.id}/${name}`,
      data: new Uint8Array(await readFile(full)),
      mtime: s.mtime,
    });
  }
  const tar = buildTar(entries);
  return new Response(tar, {
    headers: {
      "Content-Type": "application/x-tar",
      "Content-Disposition": `attachment; filename="concord-run-${params.id}.tar"`,
      "Content-Length": String(tar.length),
    },
  });
});
