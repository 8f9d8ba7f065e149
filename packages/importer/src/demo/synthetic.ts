import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TSplit } from "../layouts/types";
import { encodePng48 } from "../pixels";
import { FERPLUS_LABELS } from "../taxonomy";
import { simulatedAnnotators, simulateVote, type TSimAnnotator } from "./crowd-sim";
import { DEMO_EMOTIONS, drawFace, drawNonFace } from "./faces";
import { createRng } from "./rng";

export type TSyntheticFace = {
  id: string;
  split: TSplit;
  pixels: Uint8Array;
  truth: string;
  votes: { worker: string; label: string }[];
  gold?: string;
};
export type TSyntheticDataset = { faces: TSyntheticFace[]; annotators: TSimAnnotator[] };

export type TSyntheticOptions = {
  seed: number;
  perEmotion?: number;
  nonFaces?: number;
  votesPerFace?: number;
  // Faces left (almost) unlabelled for the demo annotators' queue.
  queue?: number;
};

/** The synthetic crowd dataset, a pure function of its options (same seed, same pixels and votes). */
export function generateSyntheticDataset(o: TSyntheticOptions): TSyntheticDataset {
  const { perEmotion = 180, nonFaces = 60, votesPerFace = 5, queue = 300 } = o;
  const rng = createRng(o.seed);
  const annotators = simulatedAnnotators(rng);
  const truths: string[] = [];
  for (const e of DEMO_EMOTIONS) for (let k = 0; k < perEmotion; k++) truths.push(e);
  for (let k = 0; k < nonFaces; k++) truths.push("not-a-face");
  // Fisher-Yates so splits and gold draw from every class.
  for (let i = truths.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [truths[i], truths[j]] = [truths[j]!, truths[i]!];
  }
  const faces: TSyntheticFace[] = [];
  const draw = (t: string) =>
    t === "not-a-face" ? drawNonFace(rng) : drawFace(t as (typeof DEMO_EMOTIONS)[number], rng);
  truths.forEach((truth, i) => {
    const f = i / truths.length;
    const split: TSplit = f < 0.7 ? "TRAIN" : f < 0.85 ? "VALID" : "TEST";
    const pool = [...annotators];
    const votes: { worker: string; label: string }[] = [];
    const t = FERPLUS_LABELS.indexOf(truth as (typeof FERPLUS_LABELS)[number]);
    for (let v = 0; v < votesPerFace && pool.length > 0; v++) {
      const a = pool.splice(rng.int(pool.length), 1)[0]!;
      votes.push({ worker: a.id, label: simulateVote(a, t, rng) });
    }
    // 1 in 25 training faces is a gold question with its known answer.
    const gold = split === "TRAIN" && rng.next() < 0.04 ? truth : undefined;
    faces.push({ id: `syn-${String(i).padStart(5, "0")}`, split, pixels: draw(truth), truth, votes, gold });
  });
  for (let q = 0; q < queue; q++) {
    const truth = rng.next() < 0.05 ? "not-a-face" : rng.pick(DEMO_EMOTIONS);
    const t = FERPLUS_LABELS.indexOf(truth as (typeof FERPLUS_LABELS)[number]);
    // Two thirds have no vote yet, the rest one or two, so the dynamic-overlap rule has something to decide.
    const n = q % 3 === 0 ? 1 + rng.int(2) : 0;
    const pool = [...annotators];
    const votes = Array.from({ length: n }, () => {
      const a = pool.splice(rng.int(pool.length), 1)[0]!;
      return { worker: a.id, label: simulateVote(a, t, rng) };
    });
    faces.push({
      id: `syn-q-${String(q).padStart(4, "0")}`,
      split: "TRAIN",
      pixels: draw(truth),
      truth,
      votes,
    });
  }
  return { faces, annotators };
}

const SPLIT_DIR: Record<TSplit, string> = { TRAIN: "train", VALID: "valid", TEST: "test" };

/** Writes the dataset in the generic layout (split folders of PNGs + votes.csv + gold.csv) for importDataset. */
export function writeSyntheticFolder(dir: string, data: TSyntheticDataset): void {
  for (const d of Object.values(SPLIT_DIR)) mkdirSync(join(dir, d), { recursive: true });
  const votes = ["task,worker,label"];
  const gold = ["task,label"];
  for (const f of data.faces) {
    writeFileSync(join(dir, SPLIT_DIR[f.split], `${f.id}.png`), encodePng48(f.pixels));
    for (const v of f.votes) votes.push(`${f.id},${v.worker},${v.label}`);
    if (f.gold) gold.push(`${f.id},${f.gold}`);
  }
  writeFileSync(join(dir, "votes.csv"), `${votes.join("\n")}\n`);
  writeFileSync(join(dir, "gold.csv"), `${gold.join("\n")}\n`);
}
