import { describe, expect, it } from "vitest";
import { drawFace } from "../src/demo/faces";
import { createRng } from "../src/demo/rng";
import { NEAR_DUPLICATE_THRESHOLD } from "../src/leaks";
import { findNearPairs } from "../src/near-pairs";
import { hammingDistance, perceptualHash } from "../src/phash";

const face = (seed: number) => drawFace("happiness", createRng(seed));

describe("perceptualHash", () => {
  it("gives 16 hex digits with exactly 32 ones (median split), so distances are even", () => {
    const h = perceptualHash(face(1));
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    const ones = [...h].reduce(
      (s, c) => s + Number.parseInt(c, 16).toString(2).replaceAll("0", "").length,
      0,
    );
    expect(ones).toBe(32);
  });

  it("keeps edited copies within the threshold and different faces beyond it", () => {
    const a = face(1);
    const brighter = a.map((v) => Math.min(255, v + 12));
    const rng = createRng(9);
    const noisy = a.map((v) => Math.max(0, Math.min(255, Math.round(v + rng.normal() * 4))));
    // One-pixel shift right: a re-crop of the same photo.
    const shifted = a.map((_, i) => a[i % 48 === 0 ? i : i - 1]!);
    for (const copy of [brighter, noisy, shifted]) {
      expect(hammingDistance(perceptualHash(a), perceptualHash(copy))).toBeLessThanOrEqual(
        NEAR_DUPLICATE_THRESHOLD,
      );
    }
    expect(hammingDistance(perceptualHash(a), perceptualHash(face(2)))).toBeGreaterThan(
      NEAR_DUPLICATE_THRESHOLD,
    );
  });

  it("rejects a wrong-size input", () => {
    expect(() => perceptualHash(new Uint8Array(10))).toThrow(/2304/);
  });
});

describe("findNearPairs", () => {
  it("finds exactly the pairs a brute-force scan finds", () => {
    const rng = createRng(3);
    const hex = () => Array.from({ length: 16 }, () => rng.int(16).toString(16)).join("");
    const base = Array.from({ length: 60 }, hex);
    // Planted neighbours: flip 1..8 random bits of some hashes.
    const hashes = [...base];
    for (let k = 0; k < 60; k++) {
      const bits = [...base[k]!]
        .map((c) => Number.parseInt(c, 16).toString(2).padStart(4, "0"))
        .join("")
        .split("");
      for (let f = 0; f <= k % 8; f++) {
        const b = rng.int(64);
        bits[b] = bits[b] === "1" ? "0" : "1";
      }
      const out = [];
      for (let n = 0; n < 16; n++)
        out.push(Number.parseInt(bits.slice(n * 4, n * 4 + 4).join(""), 2).toString(16));
      hashes.push(out.join(""));
    }
    for (const t of [0, 3, 6, 10]) {
      const expected: string[] = [];
      for (let i = 0; i < hashes.length; i++) {
        for (let j = i + 1; j < hashes.length; j++) {
          const d = hammingDistance(hashes[i]!, hashes[j]!);
          if (d <= t) expected.push(`${i}-${j}-${d}`);
        }
      }
      const got = findNearPairs(hashes, t).map((p) => `${p.a}-${p.b}-${p.distance}`);
      expect(got.sort()).toEqual(expected.sort());
      if (t === 6) expect(got.length).toBeGreaterThan(20);
    }
  });
});
