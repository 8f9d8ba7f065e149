"use client";

import { type ReactNode, useMemo, useState } from "react";
import { sortRows, type TSortDir, type TSortValue } from "./sort";

export type TColumn<T> = {
  key: string;
  header: ReactNode;
  // Value used for sorting; omit to make the column unsortable.
  sortValue?: (row: T) => TSortValue;
  render: (row: T) => ReactNode;
  align?: "left" | "right" | "center";
  title?: string;
};

type TProps<T> = {
  columns: TColumn<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  initialSort?: { key: string; dir: TSortDir };
  onRowClick?: (row: T) => void;
  selectedKey?: string | null;
  empty?: ReactNode;
  caption?: ReactNode;
  testId?: string;
};

export function SortableTable<T>(props: TProps<T>) {
  const { columns, rows, rowKey, onRowClick, selectedKey } = props;
  const [sort, setSort] = useState(props.initialSort ?? null);
  const sorted = useMemo(() => {
    const col = sort ? columns.find((c) => c.key === sort.key) : undefined;
    return col?.sortValue && sort ? sortRows(rows, col.sortValue, sort.dir) : rows;
  }, [rows, columns, sort]);

  const toggle = (key: string) =>
    setSort((s) => (s?.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: "desc" }));

  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full text-sm" data-testid={props.testId}>
        {props.caption ? (
          <caption className="px-4 pt-3 text-left text-xs text-slate-500">{props.caption}</caption>
        ) : null}
        <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-600">
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              const align =
                c.align === "right" ? "text-right" : c.align === "center" ? "text-center" : "text-left";
              return (
                <th
                  key={c.key}
                  scope="col"
                  title={c.title}
                  className={`whitespace-nowrap px-3 py-2.5 font-semibold ${align}`}
                  aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : undefined}
                >
                  {c.sortValue ? (
                    <button
                      type="button"
                      onClick={() => toggle(c.key)}
                      className={`inline-flex items-center gap-1 hover:text-slate-900 ${active ? "text-slate-900" : ""}`}
                    >
                      {c.header}
                      <span aria-hidden className="text-[10px]">
                        {active ? (sort.dir === "asc" ? "▲" : "▼") : "↕"}
                      </span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {sorted.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="px-4 py-6 text-center text-slate-500">
                {props.empty ?? "Nothing here yet."}
              </td>
            </tr>
          ) : (
            sorted.map((row) => {
              const k = rowKey(row);
              return (
                <tr
                  key={k}
                  onClick={onRowClick ? () => onRowClick(row) : undefined}
                  className={`${onRowClick ? "cursor-pointer hover:bg-indigo-50/60" : "hover:bg-slate-50"} ${selectedKey === k ? "bg-indigo-50" : ""}`}
                >
                  {columns.map((c) => (
                    <td
                      key={c.key}
                      className={`px-3 py-2 tabular-nums ${c.align === "right" ? "text-right" : c.align === "center" ? "text-center" : ""}`}
                    >
                      {c.render(row)}
                    </td>
                  ))}
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </div>
  );
}
