// Sorting for the sortable table: numbers numerically, strings by locale, empty values always last
// (whatever the direction) so a column of partly missing stats stays readable.
export type TSortValue = number | string | null | undefined;
export type TSortDir = "asc" | "desc";

function isEmpty(v: TSortValue): boolean {
  return v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v));
}

export function compareValues(a: TSortValue, b: TSortValue, dir: TSortDir): number {
  const ea = isEmpty(a);
  const eb = isEmpty(b);
  if (ea || eb) return ea === eb ? 0 : ea ? 1 : -1;
  const sign = dir === "asc" ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return sign * (a - b);
  return sign * String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}

// Stable: equal keys keep their original order.
export function sortRows<T>(rows: readonly T[], key: (row: T) => TSortValue, dir: TSortDir): T[] {
  return rows
    .map((row, i) => ({ row, i }))
    .sort((x, y) => compareValues(key(x.row), key(y.row), dir) || x.i - y.i)
    .map((x) => x.row);
}
