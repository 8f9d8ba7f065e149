// Flags for likely spammers and random clickers (pure; unit-tested). A flag is a reason to look, never an
// automatic exclusion: an admin decides on the annotator's page.

export const FLAG_RULES = {
  /** Votes an annotator needs in a dataset before any flag is raised there. */
  minVotes: 20,
  /** Dawid-Skene expected accuracy at or below this multiple of chance (1/K) reads as random answers. */
  chanceMultiple: 2,
  /** Leave-one-out agreement whose 95% Wilson upper bound is below this (or below chanceMultiple x chance,
   *  whichever is higher: with 4 classes chance alone is 25%) is flagged. */
  maxAgreement: 0.4,
  /** A vote faster than this (ms from face shown to key press) is too fast to have looked at the face. */
  fastMs: 500,
  /** Share of an annotator's timed votes that may be too fast before the flag. */
  fastShare: 0.5,
} as const;

export type TFlagKind = "low-skill" | "low-agreement" | "too-fast";
export type TFlag = { kind: TFlagKind; label: string; detail: string };

export type TFlagInput = {
  votes: number;
  /** Taxonomy size: chance accuracy is 1/K. */
  numClasses: number;
  /** Expected accuracy from the latest Dawid-Skene (or one-coin) snapshot; null when none has the annotator. */
  skill: number | null;
  skillMethod: string | null;
  /** Agreement with the plurality of the other votes on the same images, and how many votes compared. */
  agreement: number | null;
  comparable: number;
  /** Votes with a duration, and how many of them were faster than FLAG_RULES.fastMs. */
  timedVotes: number;
  fastVotes: number;
};

/** Upper end of the Wilson score interval for a proportion p out of n (95% by default). */
export function wilsonUpper(p: number, n: number, z = 1.96): number {
  if (n <= 0) return 1;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(1, (centre + spread) / (1 + z2 / n));
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function annotatorFlags(s: TFlagInput): TFlag[] {
  if (s.votes < FLAG_RULES.minVotes) return [];
  const flags: TFlag[] = [];
  const chance = 1 / Math.max(2, s.numClasses);
  if (s.skill !== null && s.skill <= FLAG_RULES.chanceMultiple * chance)
    flags.push({
      kind: "low-skill",
      label: "random clicker?",
      detail: `${s.skillMethod ?? "Dawid-Skene"} expected accuracy ${pct(s.skill)}, chance is ${pct(chance)}`,
    });
  if (s.agreement !== null && s.comparable >= FLAG_RULES.minVotes) {
    const upper = wilsonUpper(s.agreement, s.comparable);
    const bar = Math.max(FLAG_RULES.maxAgreement, FLAG_RULES.chanceMultiple * chance);
    if (upper < bar)
      flags.push({
        kind: "low-agreement",
        label: "low agreement",
        detail: `agrees with the others on ${pct(s.agreement)} of ${s.comparable} votes (95% upper bound ${pct(upper)} < ${pct(bar)})`,
      });
  }
  if (s.timedVotes >= FLAG_RULES.minVotes && s.fastVotes / s.timedVotes >= FLAG_RULES.fastShare)
    flags.push({
      kind: "too-fast",
      label: "spammer? (too fast)",
      detail: `${pct(s.fastVotes / s.timedVotes)} of ${s.timedVotes} timed votes under ${FLAG_RULES.fastMs} ms`,
    });
  return flags;
}
