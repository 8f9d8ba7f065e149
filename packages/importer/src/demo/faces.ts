import { FERPLUS_EMOTIONS, type TFerplusEmotion } from "@concord/crowd/labels";
import { PIXELS, SIDE } from "../pixels";
import type { TRng } from "./rng";

// The demo draws the 8 FER+ emotions, in the taxonomy's order (owned by @concord/crowd).
export const DEMO_EMOTIONS = FERPLUS_EMOTIONS;
export type TDemoEmotion = TFerplusEmotion;

// A stroke is a polyline in the face frame (u, v in [-1, 1], v down) drawn with a thickness; a blob is a filled
// ellipse. Each expression is the classic FACS-style cue set: brow angle, eye opening, mouth shape.
type TStroke = { pts: [number, number][]; w: number; ink: number };
type TBlob = { cx: number; cy: number; rx: number; ry: number; ink: number };

const curve = (x0: number, x1: number, f: (x: number) => number, n = 10): [number, number][] =>
  Array.from({ length: n + 1 }, (_, k) => {
    const x = x0 + ((x1 - x0) * k) / n;
    return [x, f(x)] as [number, number];
  });

type TCues = {
  brow: [number, number, number, number];
  eyeRy: number;
  mouth: { strokes: TStroke[]; blobs: TBlob[] };
};

// brow: [left inner y, left outer y, right inner y, right outer y]
function cues(e: TDemoEmotion): TCues {
  const line = (pts: [number, number][], w = 0.05): TStroke => ({ pts, w, ink: 35 });
  switch (e) {
    case "neutral":
      return {
        brow: [-0.3, -0.3, -0.3, -0.3],
        eyeRy: 0.06,
        mouth: { strokes: [line(curve(-0.22, 0.22, () => 0.46))], blobs: [] },
      };
    case "happiness":
      return {
        brow: [-0.32, -0.32, -0.32, -0.32],
        eyeRy: 0.04,
        mouth: {
          strokes: [
            line(
              curve(-0.3, 0.3, (x) => 0.38 + 0.14 * (1 - (x / 0.3) ** 2)),
              0.06,
            ),
          ],
          blobs: [{ cx: 0, cy: 0.47, rx: 0.16, ry: 0.04, ink: 215 }],
        },
      };
    case "surprise":
      return {
        brow: [-0.44, -0.42, -0.44, -0.42],
        eyeRy: 0.1,
        mouth: { strokes: [], blobs: [{ cx: 0, cy: 0.48, rx: 0.11, ry: 0.16, ink: 25 }] },
      };
    case "sadness":
      return {
        brow: [-0.4, -0.26, -0.4, -0.26],
        eyeRy: 0.05,
        mouth: { strokes: [line(curve(-0.22, 0.22, (x) => 0.53 - 0.1 * (1 - (x / 0.22) ** 2)))], blobs: [] },
      };
    case "anger":
      return {
        brow: [-0.18, -0.34, -0.18, -0.34],
        eyeRy: 0.045,
        mouth: {
          strokes: [
            line(
              curve(-0.2, 0.2, (x) => 0.47 + 0.05 * (x / 0.2) ** 2),
              0.07,
            ),
          ],
          blobs: [{ cx: 0, cy: 0.47, rx: 0.14, ry: 0.025, ink: 200 }],
        },
      };
    case "disgust":
      return {
        brow: [-0.24, -0.3, -0.24, -0.3],
        eyeRy: 0.04,
        mouth: {
          strokes: [
            line(curve(-0.22, 0.22, (x) => 0.46 - 0.05 * Math.sin((3 * x) / 0.22))),
            line(
              [
                [-0.1, 0.06],
                [-0.04, 0.12],
              ],
              0.03,
            ),
            line(
              [
                [0.1, 0.06],
                [0.04, 0.12],
              ],
              0.03,
            ),
          ],
          blobs: [],
        },
      };
    case "fear":
      return {
        brow: [-0.41, -0.33, -0.41, -0.33],
        eyeRy: 0.1,
        mouth: {
          strokes: [
            line(
              curve(-0.26, 0.26, (x) => 0.5 + 0.04 * (x / 0.26) ** 2),
              0.04,
            ),
          ],
          blobs: [{ cx: 0, cy: 0.48, rx: 0.22, ry: 0.07, ink: 30 }],
        },
      };
    case "contempt":
      return {
        brow: [-0.3, -0.3, -0.37, -0.35],
        eyeRy: 0.055,
        mouth: {
          strokes: [line(curve(-0.2, 0.26, (x) => 0.47 - 0.09 * Math.max(0, x / 0.26) ** 2))],
          blobs: [],
        },
      };
  }
}

function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

const smooth = (edge: number, x: number, soft = 0.03) => Math.max(0, Math.min(1, (edge - x) / soft + 0.5));

/** Draws one 48x48 face: pose jitter (shift, scale, rotation), lighting gradient, per-face shape noise, sensor noise. */
export function drawFace(emotion: TDemoEmotion, rng: TRng): Uint8Array {
  const c = cues(emotion);
  const jit = () => rng.normal() * 0.02;
  const brow = c.brow.map((b) => b + jit());
  const eyeRy = Math.max(0.02, c.eyeRy * (1 + rng.normal() * 0.12));
  const strokes: TStroke[] = [
    {
      pts: [
        [-0.14, brow[0]!],
        [-0.44, brow[1]!],
      ],
      w: 0.05,
      ink: 40,
    },
    {
      pts: [
        [0.14, brow[2]!],
        [0.44, brow[3]!],
      ],
      w: 0.05,
      ink: 40,
    },
    {
      pts: [
        [0, -0.04],
        [0.03, 0.2],
        [-0.04, 0.22],
      ],
      w: 0.025,
      ink: 110,
    },
    ...c.mouth.strokes.map((s) => {
      const dy = jit();
      return { ...s, pts: s.pts.map(([x, y]) => [x, y + dy] as [number, number]) };
    }),
  ];
  const blobs: TBlob[] = [
    { cx: -0.3, cy: -0.13, rx: 0.12, ry: eyeRy, ink: 235 },
    { cx: 0.3, cy: -0.13, rx: 0.12, ry: eyeRy, ink: 235 },
    { cx: -0.3, cy: -0.13, rx: 0.05, ry: Math.min(0.05, eyeRy), ink: 20 },
    { cx: 0.3, cy: -0.13, rx: 0.05, ry: Math.min(0.05, eyeRy), ink: 20 },
    ...c.mouth.blobs,
  ];
  const angle = rng.normal() * 0.12;
  const scale = 1 + rng.normal() * 0.08;
  const [ox, oy] = [rng.normal() * 0.09, rng.normal() * 0.08];
  const skin = 150 + rng.normal() * 22;
  // Photos differ most in their low frequencies (lighting, hair, background): vary exactly those, so that the
  // perceptual hash sees different faces rather than one template (it measures low-frequency structure).
  const light = rng.next() * 2 * Math.PI;
  const lightGain = 10 + rng.next() * 45;
  const [bg0, bgX, bgY] = [40 + rng.next() * 150, (rng.next() - 0.5) * 80, (rng.next() - 0.5) * 80];
  const [blobX, blobY, blobR, blobInk] = [
    rng.next() * 2 - 1,
    rng.next() * 2 - 1,
    0.2 + rng.next() * 0.5,
    rng.next() * 255,
  ];
  const headRx = 0.62 + rng.normal() * 0.05;
  const headRy = 0.86 + rng.normal() * 0.05;
  const hairline = -0.5 + rng.normal() * 0.12;
  const hairTilt = rng.normal() * 0.25;
  const hair = rng.next() < 0.15 ? -1 : 20 + rng.next() * 110;
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  // Bounding boxes let most pixels skip most features (drawing is ~6x faster).
  const boxes = strokes.map((s) => {
    const xs = s.pts.map((p) => p[0]);
    const ys = s.pts.map((p) => p[1]);
    return [
      Math.min(...xs) - s.w,
      Math.max(...xs) + s.w,
      Math.min(...ys) - s.w,
      Math.max(...ys) + s.w,
    ] as const;
  });
  const out = new Uint8Array(PIXELS);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const X = ((x + 0.5) / SIDE) * 2 - 1 - ox;
      const Y = ((y + 0.5) / SIDE) * 2 - 1 - oy;
      const u = (cos * X + sin * Y) / scale;
      const v = (-sin * X + cos * Y) / scale;
      let val = bg0 + (bgX * X + bgY * Y) / 2;
      val += (blobInk - val) * 0.5 * smooth(blobR, Math.hypot(X - blobX, Y - blobY), 0.2);
      const shade = lightGain * (Math.cos(light) * u + Math.sin(light) * v);
      if (hair >= 0) {
        const hairMask = smooth(1, Math.hypot(u / (headRx + 0.1), (v + 0.02) / (headRy + 0.12)), 0.08);
        val += (hair - val) * hairMask * smooth(hairline + hairTilt * u, v, 0.08);
      }
      const head = Math.hypot(u / headRx, (v - 0.05) / headRy);
      val += (skin + shade - val) * smooth(1, head, 0.06) * smooth(v, hairline + hairTilt * u + 0.04, 0.06);
      for (const b of blobs) {
        if (Math.abs(u - b.cx) > b.rx * 1.2 || Math.abs(v - b.cy) > b.ry * 1.2) continue;
        val += (b.ink - val) * smooth(1, Math.hypot((u - b.cx) / b.rx, (v - b.cy) / b.ry), 0.25);
      }
      for (const [i, s] of strokes.entries()) {
        const box = boxes[i]!;
        if (u < box[0] || u > box[1] || v < box[2] || v > box[3]) continue;
        let d = Number.POSITIVE_INFINITY;
        for (let k = 1; k < s.pts.length; k++) {
          const [a, b] = [s.pts[k - 1]!, s.pts[k]!];
          d = Math.min(d, segDist(u, v, a[0], a[1], b[0], b[1]));
        }
        val += (s.ink - val) * smooth(s.w / 2, d);
      }
      out[y * SIDE + x] = Math.max(0, Math.min(255, Math.round(val + rng.normal() * 6)));
    }
  }
  return out;
}

/** Not-a-face images (the FER+ "NF" class): random blobs and stripes. */
export function drawNonFace(rng: TRng): Uint8Array {
  const out = new Uint8Array(PIXELS);
  const [fx, fy, ph] = [0.1 + rng.next() * 0.5, 0.1 + rng.next() * 0.5, rng.next() * 6];
  const [bx, by, br] = [rng.next() * 48, rng.next() * 48, 6 + rng.next() * 14];
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      let val = 120 + 60 * Math.sin(fx * x + fy * y + ph);
      if (Math.hypot(x - bx, y - by) < br) val = 40 + rng.next() * 20;
      out[y * SIDE + x] = Math.max(0, Math.min(255, Math.round(val + rng.normal() * 10)));
    }
  }
  return out;
}
