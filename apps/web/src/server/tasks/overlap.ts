// Dynamic overlap in SQL: @concord/crowd's needsMoreVotes depends on an image's vote counts only up to
// relabelling of classes (its default prior is symmetric), so the sorted count vector ("5,2,1") decides.
// We enumerate every such signature below maxVotes once per policy and let Postgres exclude the images
// whose signature is "done" — no per-image JS in the request path.
import { needsMoreVotes } from "@concord/crowd";

export type TOverlapPolicy = {
  classes: number;
  minVotes: number;
  maxVotes: number;
  targetConfidence: number;
};

// Beyond this many votes the number of signatures explodes (partitions of n); such images count as open.
const MAX_ENUMERATED_VOTES = 20;

function* partitions(n: number, maxPart: number, maxParts: number): Generator<number[]> {
  if (n === 0) {
    yield [];
    return;
  }
  if (maxParts === 0) return;
  for (let first = Math.min(n, maxPart); first >= 1; first--) {
    for (const rest of partitions(n - first, first, maxParts - 1)) yield [first, ...rest];
  }
}

export type TOverlapRule = { doneSignatures: string[]; source: "crowd" | "fixed-overlap" };

const cache = new Map<string, TOverlapRule>();

export function overlapRule(policy: TOverlapPolicy): TOverlapRule {
  const key = JSON.stringify(policy);
  const hit = cache.get(key);
  if (hit) return hit;
  const done: string[] = [];
  let source: TOverlapRule["source"] = "crowd";
  const top = Math.min(policy.maxVotes - 1, MAX_ENUMERATED_VOTES);
  for (let n = 1; n <= top; n++) {
    for (const parts of partitions(n, n, policy.classes)) {
      const counts = new Array<number>(policy.classes).fill(0);
      parts.forEach((c, i) => {
        counts[i] = c;
      });
      let needsMore: boolean;
      try {
        needsMore = needsMoreVotes(counts, {
          minVotes: policy.minVotes,
          maxVotes: policy.maxVotes,
          targetConfidence: policy.targetConfidence,
        }).needsMore;
      } catch (error) {
        // Only while packages/crowd lacks the rule: fall back to a fixed overlap of minVotes, said loudly.
        if (source === "crowd")
          console.warn(`[web] needsMoreVotes unavailable (${(error as Error).message}); fixed overlap`);
        source = "fixed-overlap";
        needsMore = n < policy.minVotes;
      }
      if (!needsMore) done.push(parts.join(","));
    }
  }
  const rule = { doneSignatures: done, source };
  cache.set(key, rule);
  return rule;
}
