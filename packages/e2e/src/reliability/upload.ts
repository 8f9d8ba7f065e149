// Multipart uploads to POST /api/datasets/upload (as a browser form sends them), and a raw request that only
// declares a huge body, to check the size guard answers before anything is read.
import { request } from "node:http";
import { baseUrl } from "../browser";
import type { TSession } from "../http";

export type TUploadFile = { name: string; data: Buffer; type?: string };

export async function upload(
  session: TSession,
  fields: Record<string, string>,
  images: TUploadFile[],
  csv: { votes?: string; gold?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  for (const f of images)
    form.append("images", new File([new Uint8Array(f.data)], f.name, { type: f.type ?? "image/png" }));
  if (csv.votes !== undefined) form.set("votes", new File([csv.votes], "votes.csv", { type: "text/csv" }));
  if (csv.gold !== undefined) form.set("gold", new File([csv.gold], "gold.csv", { type: "text/csv" }));
  const res = await session.fetch("/api/datasets/upload", { method: "POST", body: form });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text.slice(0, 500) };
  }
  return { status: res.status, body };
}

// Sends headers declaring `declaredBytes` and only 1 KiB of body, then waits for the answer.
export function declareHugeUpload(
  session: TSession,
  declaredBytes: number,
): Promise<{ status: number; body: string }> {
  const url = new URL("/api/datasets/upload", baseUrl());
  return new Promise((ok, fail) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          cookie: session.cookie,
          "content-type": "multipart/form-data; boundary=x",
          "content-length": String(declaredBytes),
        },
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => {
          ok({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      },
    );
    req.setTimeout(20_000, () => {
      req.destroy();
      fail(new Error("no answer within 20 s to a request that declared a huge body"));
    });
    req.on("error", fail);
    req.write(Buffer.alloc(1024, 0x61));
  });
}
