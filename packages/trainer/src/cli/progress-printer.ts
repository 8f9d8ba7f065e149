import type { TBatchProgress } from "../types";

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "--:--";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}:${String(sec).padStart(2, "0")}`;
}

/** A one-line progress bar on a TTY; on a pipe/log file, one line every `every` batches. */
export function progressPrinter(
  stream: NodeJS.WriteStream = process.stderr,
  every = 50,
): (p: TBatchProgress) => void {
  return (p) => {
    const width = 24;
    const filled = Math.round((p.batch / p.batches) * width);
    const line = `epoch ${p.epoch}/${p.epochs} [${"#".repeat(filled)}${".".repeat(width - filled)}] batch ${p.batch}/${p.batches} ${p.imagesPerSecond.toFixed(1)} img/s loss ${p.loss.toFixed(4)} ETA ${fmtTime(p.etaSeconds)}`;
    if (stream.isTTY) stream.write(`\r${line}${p.batch === p.batches ? "\n" : ""}`);
    else if (p.batch % every === 0 || p.batch === p.batches) stream.write(`${line}\n`);
  };
}
