// Training-run form contract: validated here so an absurd value is refused with the field named (400)
// before anything is written or enqueued. Pure (no server-only) so it is unit-tested and reused by the form.
// The schema and its defaults are @concord/jobs' (one contract for web, worker and trainer).
import { type TRunConfig, ZRunConfig } from "@concord/jobs/run-config";
import type { z } from "zod";

export type TFieldError = { field: string; message: string };

export type TParseResult<T> = { ok: true; value: T } | { ok: false; error: TFieldError };

// First issue only, with its field path: the form shows it next to the field, the API returns it as 400.
export function parseWithField<T>(schema: z.ZodType<T>, input: unknown): TParseResult<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") || "body";
  return { ok: false, error: { field, message: issue?.message ?? "invalid input" } };
}

export function parseRunConfig(input: unknown): TParseResult<TRunConfig> {
  return parseWithField(ZRunConfig, input);
}
