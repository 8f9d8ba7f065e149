// The restore's second check, after every file was read: every reference between files resolves, labels are
// in the taxonomy, keys are unique, and the rows' own rules hold (one active exclusion per annotator, one active
// ACCEPT / EXCLUDE per image, one open qualification attempt per annotator), so that the database's constraints
// never have to refuse a row half-way through the transaction.
import { ArchiveError, type TAnyManifest, timedKey } from "./format";
import type { TRows } from "./read";

/** Every reference between files resolves, labels are in the taxonomy, keys are unique. */
export function checkReferences(m: TAnyManifest, r: TRows): void {
  const fail = (msg: string) => {
    throw new ArchiveError(msg);
  };
  const unique = <T>(name: string, rows: T[], key: (x: T) => string) => {
    const seen = new Set<string>();
    for (const x of rows) {
      const k = key(x);
      if (seen.has(k)) fail(`${name}: "${k}" appears twice`);
      seen.add(k);
    }
    return seen;
  };
  const images = unique("images.ndjson", r["images.ndjson"], (x) => x.ext);
  const refs = unique("annotators.ndjson", r["annotators.ndjson"], (x) => x.ref);
  // A restore keys accounts by lower-cased email: two refs with one email would become one person.
  unique(
    "annotators.ndjson (email)",
    r["annotators.ndjson"].filter((x) => x.email !== undefined),
    (x) => x.email!.toLowerCase(),
  );
  const snaps = unique("snapshots.ndjson", r["snapshots.ndjson"], (x) => x.contentHash);
  const labels = new Set(m.dataset.taxonomy);
  const C = m.dataset.taxonomy.length;
  for (const im of r["images.ndjson"])
    if (Buffer.from(im.pixels, "base64").length !== im.width * im.height)
      fail(`images.ndjson: ${im.ext} has pixels for another size than ${im.width}x${im.height}`);
  unique("votes.ndjson", r["votes.ndjson"], (v) => `${v.image} ${v.annotator}`);
  unique(
    "votes.ndjson (requestId)",
    r["votes.ndjson"].filter((v) => v.requestId !== null),
    (v) => v.requestId!,
  );
  for (const v of r["votes.ndjson"]) {
    if (!images.has(v.image)) fail(`votes.ndjson: image "${v.image}" is not in images.ndjson`);
    if (!refs.has(v.annotator)) fail(`votes.ndjson: annotator "${v.annotator}" is not in annotators.ndjson`);
    if (!labels.has(v.label)) fail(`votes.ndjson: label "${v.label}" is not in the taxonomy`);
  }
  unique("tallies.ndjson", r["tallies.ndjson"], (t) => `${t.image} ${t.source}`);
  for (const t of r["tallies.ndjson"]) {
    if (!images.has(t.image)) fail(`tallies.ndjson: image "${t.image}" is not in images.ndjson`);
    if (t.counts.length !== C)
      fail(`tallies.ndjson: ${t.image} has ${t.counts.length} counts for ${C} labels`);
  }
  unique("gold.ndjson", r["gold.ndjson"], (g) => g.image);
  for (const g of r["gold.ndjson"]) {
    if (!images.has(g.image)) fail(`gold.ndjson: image "${g.image}" is not in images.ndjson`);
    if (!labels.has(g.label)) fail(`gold.ndjson: label "${g.label}" is not in the taxonomy`);
  }
  for (const p of r["duplicates.ndjson"]) {
    if (!images.has(p.a) || !images.has(p.b))
      fail(`duplicates.ndjson: ${p.a} ~ ${p.b} names an unknown image`);
    if (p.a === p.b) fail(`duplicates.ndjson: ${p.a} is paired with itself`);
  }
  // A pair is stored once, whichever way round the file names it.
  unique("duplicates.ndjson", r["duplicates.ndjson"], (p) =>
    p.a < p.b ? `${p.a} ~ ${p.b}` : `${p.b} ~ ${p.a}`,
  );
  for (const s of r["snapshots.ndjson"])
    if (s.createdBy !== null && !refs.has(s.createdBy))
      fail(`snapshots.ndjson: unknown author ${s.createdBy}`);
  unique("soft-labels.ndjson", r["soft-labels.ndjson"], (l) => `${l.snapshot} ${l.image}`);
  for (const l of r["soft-labels.ndjson"]) {
    if (!snaps.has(l.snapshot))
      fail(`soft-labels.ndjson: snapshot "${l.snapshot}" is not in snapshots.ndjson`);
    if (!images.has(l.image)) fail(`soft-labels.ndjson: image "${l.image}" is not in images.ndjson`);
    if (l.probs.length !== C)
      fail(`soft-labels.ndjson: ${l.image} has ${l.probs.length} probabilities for ${C} labels`);
  }
  const known = (name: string, who: string | null, what: string) => {
    if (who !== null && !refs.has(who)) fail(`${name}: ${what} "${who}" is not in annotators.ndjson`);
  };
  const label = (name: string, l: string | null) => {
    if (l !== null && !labels.has(l)) fail(`${name}: label "${l}" is not in the taxonomy`);
  };
  const image = (name: string, ext: string) => {
    if (!images.has(ext)) fail(`${name}: image "${ext}" is not in images.ndjson`);
  };
  const exclusions = r["exclusions.ndjson"];
  unique("exclusions.ndjson", exclusions, (x) => timedKey(x.annotator, x.createdAt));
  unique(
    "exclusions.ndjson (active)",
    exclusions.filter((x) => x.revokedAt === null),
    (x) => x.annotator,
  );
  for (const x of exclusions) {
    known("exclusions.ndjson", x.annotator, "annotator");
    known("exclusions.ndjson", x.createdBy, "createdBy");
    known("exclusions.ndjson", x.revokedBy, "revokedBy");
  }
  const actions = r["image-actions.ndjson"];
  unique(
    "image-actions.ndjson (active ACCEPT / EXCLUDE)",
    actions.filter((a) => a.revokedAt === null && a.kind !== "MORE_VOTES"),
    (a) => `${a.kind} ${a.image}`,
  );
  for (const a of actions) {
    image("image-actions.ndjson", a.image);
    label("image-actions.ndjson", a.label);
    known("image-actions.ndjson", a.createdBy, "createdBy");
    known("image-actions.ndjson", a.revokedBy, "revokedBy");
  }
  const attempts = unique("qualification-attempts.ndjson", r["qualification-attempts.ndjson"], (t) =>
    timedKey(t.annotator, t.startedAt),
  );
  unique(
    "qualification-attempts.ndjson (open)",
    r["qualification-attempts.ndjson"].filter((t) => t.finishedAt === null),
    (t) => t.annotator,
  );
  for (const t of r["qualification-attempts.ndjson"])
    known("qualification-attempts.ndjson", t.annotator, "annotator");
  const answers = r["qualification-answers.ndjson"];
  unique("qualification-answers.ndjson", answers, (a) => `${timedKey(a.annotator, a.attempt)} ${a.image}`);
  unique(
    "qualification-answers.ndjson (requestId)",
    answers.filter((a) => a.requestId !== null),
    (a) => a.requestId!,
  );
  for (const a of answers) {
    if (!attempts.has(timedKey(a.annotator, a.attempt)))
      fail(
        `qualification-answers.ndjson: attempt "${timedKey(a.annotator, a.attempt)}" is not in qualification-attempts.ndjson`,
      );
    image("qualification-answers.ndjson", a.image);
    label("qualification-answers.ndjson", a.label);
    label("qualification-answers.ndjson", a.expected);
  }
}
