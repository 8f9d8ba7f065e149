// Small text helpers for pages (pure, unit-tested).

/** "1 researcher", "2 researchers", "0 admins". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? singular : pluralForm}`;
}
