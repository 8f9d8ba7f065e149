import { describe, expect, it } from "vitest";
import { drawFace } from "../src/demo/faces";
import { createRng } from "../src/demo/rng";
import { countTwins, findDuplicatePairs, findTrainTwins, hashFaces, sha256Hex } from "../src/twins";

const face = (seed: number) => drawFace("happiness", createRng(seed));
const concat = (faces: Uint8Array[]) => {
  const out = new Uint8Array(faces.length * 2304);
  faces.forEach((f, i) => {
    out.set(f, i * 2304);
  });
  return out;
};

describe("train twins", () => {
  const [a, b, c, d] = [face(1), face(2), face(3), face(4)];
  const brighter = (x: Uint8Array) => x.map((v) => Math.min(255, v + 12));
  // Train: a, b, a brightened copy of c, and b again (a within-train duplicate).
  const train = hashFaces(concat([a!, b!, brighter(c!), b!]));

  it("marks each face by its closest twin in train: exact beats near, and a face without one is null", () => {
    // Faces: a (exact), c (near: its brightened copy is in train), d (none), b (twice in train: exact),
    // brightened a (near).
    const faces = hashFaces(concat([a!, c!, d!, b!, brighter(a!)]));
    expect(findTrainTwins(train, faces)).toEqual(["EXACT", "NEAR", null, "EXACT", "NEAR"]);
    expect(countTwins(findTrainTwins(train, faces))).toEqual({ exact: 2, exactOrNear: 4 });
  });

  it("ignores pairs inside train and inside the faces: only a face's twin in train counts", () => {
    const faces = hashFaces(concat([d!, d!, brighter(d!)]));
    expect(findTrainTwins(train, faces)).toEqual([null, null, null]);
    expect(findTrainTwins([], faces)).toEqual([null, null, null]);
  });

  it("finds the importer's pairs: exact = same sha256 (distance 0), near = within the threshold", () => {
    const faces = hashFaces(concat([a!, a!, brighter(a!), d!]));
    expect(faces[0]!.sha256).toBe(sha256Hex(a!));
    const pairs = findDuplicatePairs(faces).map((p) => `${p.a}-${p.b}-${p.kind}`);
    expect(pairs.sort()).toEqual(["0-1-EXACT", "0-2-NEAR", "1-2-NEAR"]);
    expect(() => hashFaces(new Uint8Array(100))).toThrow(/whole 48x48 faces/);
  });
});
