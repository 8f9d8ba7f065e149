// Training-run form contract: validated here so an absurd value is refused with the field named (400)
// before anything is written or enqueued. Pure (no server-only) so it is unit-tested and reused by the form.
// The schema and its defaults are @concord/jobs' (one contract for web, worker and trainer).
import { type TRunConfig, ZRunConfig } from "@concord/jobs/run-config";
import { parseWithField, type TParseResult } from "../http";

export function parseRunConfig(input: unknown): TParseResult<TRunConfig> {
  return parseWithField(ZRunConfig, input);
}
