// Hotkeys per taxonomy: FER+ gives 1-8 for the emotions, U for unknown, N for not-a-face; any other
// taxonomy numbers its labels 1-9 in order.
export type THotkey = { label: string; key: string; title: string };

export function titleOf(label: string): string {
  if (label === "not-a-face") return "Not a face";
  return label.charAt(0).toUpperCase() + label.slice(1).replaceAll("-", " ");
}

export function hotkeysFor(taxonomy: readonly string[]): THotkey[] {
  let digit = 0;
  return taxonomy.map((label) => {
    if (label === "unknown") return { label, key: "U", title: titleOf(label) };
    if (label === "not-a-face") return { label, key: "N", title: titleOf(label) };
    digit += 1;
    return { label, key: digit <= 9 ? String(digit) : "", title: titleOf(label) };
  });
}

export type TAction = { kind: "vote"; label: string } | { kind: "skip" } | { kind: "undo" };

export function actionForKey(key: string, hotkeys: readonly THotkey[]): TAction | null {
  if (key === " " || key === "s" || key === "S") return { kind: "skip" };
  if (key === "z" || key === "Z" || key === "Backspace") return { kind: "undo" };
  const upper = key.length === 1 ? key.toUpperCase() : key;
  const hit = hotkeys.find((h) => h.key !== "" && h.key === upper);
  return hit ? { kind: "vote", label: hit.label } : null;
}
