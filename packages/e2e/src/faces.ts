// Procedural 48x48 grayscale "faces" (head, eyes, brows, mouth) for the fallback seed: enough to look like
// a face on screen and to differ per image, so perceptual hashes differ too.
export function drawFace(seed: number): Uint8Array<ArrayBuffer> {
  let s = seed * 2654435761 + 1;
  const rand = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const px = new Uint8Array(48 * 48);
  const bg = 30 + rand() * 50;
  const skin = 150 + rand() * 80;
  const cx = 24 + (rand() - 0.5) * 4;
  const cy = 25 + (rand() - 0.5) * 4;
  const rx = 15 + rand() * 3;
  const ry = 19 + rand() * 3;
  const smile = (rand() - 0.5) * 8; // > 0 smile, < 0 frown
  const eyeOpen = 1 + rand() * 2.5;
  const brow = (rand() - 0.5) * 3;
  for (let y = 0; y < 48; y++) {
    for (let x = 0; x < 48; x++) {
      const d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      let v = d <= 1 ? skin - 25 * d : bg + 10 * Math.sin((x + y + seed) / 5);
      for (const ex of [cx - 6, cx + 6]) {
        if (((x - ex) / 2.6) ** 2 + ((y - (cy - 4)) / eyeOpen) ** 2 <= 1) v = 25;
        const browY = cy - 9 + (x < cx ? brow : -brow) * ((x - ex) / 4);
        if (Math.abs(x - ex) <= 3.5 && Math.abs(y - browY) <= 0.7) v = 45;
      }
      const mx = (x - cx) / 7;
      if (Math.abs(mx) <= 1) {
        const my = cy + 8 + smile * (mx * mx - 0.5);
        if (Math.abs(y - my) <= 1) v = 60;
      }
      if (Math.abs(x - cx) <= 1 && y > cy - 2 && y < cy + 4) v -= 30; // nose
      px[y * 48 + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return px;
}
