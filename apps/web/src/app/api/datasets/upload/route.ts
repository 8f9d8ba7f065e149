import { importUpload, UPLOAD_LIMITS } from "@/server/datasets/import";
import { withRole } from "@/server/guards";
import { fieldError, jsonError } from "@/server/http";

// Multipart upload of images (+ optional votes.csv / gold.csv). The declared length is checked before the
// body is read, so an oversized upload is refused without buffering it.
export const POST = withRole(["ADMIN"], async (req) => {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > UPLOAD_LIMITS.totalBytes + 1024 * 1024) {
    return jsonError(413, `upload larger than ${UPLOAD_LIMITS.totalBytes / 1024 / 1024} MiB`);
  }
  if (!(req.headers.get("content-type") ?? "").includes("multipart/form-data")) {
    return jsonError(415, "Content-Type must be multipart/form-data");
  }
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    throw fieldError("body", "malformed multipart body");
  }
  const report = await importUpload(form);
  return Response.json(report, { status: report.aborted ? 422 : 200 });
});
