// Colours shared by every chart so a split or run keeps its colour across pages.
export const SERIES_COLORS = [
  "#4f46e5",
  "#059669",
  "#d97706",
  "#dc2626",
  "#0891b2",
  "#7c3aed",
  "#db2777",
  "#65a30d",
];

export const SPLIT_COLORS = { train: "#4f46e5", valid: "#059669", test: "#d97706" } as const;

export function seriesColor(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length]!;
}

// White -> indigo ramp for heatmaps; t in [0, 1]. Text flips to white on dark cells.
export function heatColor(t: number): { background: string; color: string } {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
  const from = [248, 250, 252];
  const to = [49, 46, 129];
  const c = from.map((f, i) => Math.round(f + (to[i]! - f) * x));
  return { background: `rgb(${c[0]}, ${c[1]}, ${c[2]})`, color: x > 0.55 ? "#ffffff" : "#0f172a" };
}
