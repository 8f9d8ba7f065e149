"use client";

import Link from "next/link";
import { useState } from "react";
import { RunsTable } from "@/components/tables/runs-table";
import type { TRunListItem } from "@/server/runs/runs";

export function RunsPicker(props: { runs: TRunListItem[] }) {
  const [ids, setIds] = useState<string[]>([]);
  return (
    <div className="space-y-3">
      <div className="flex items-center gap-3 text-sm">
        <Link
          href={ids.length >= 2 ? `/research/compare?ids=${ids.join(",")}` : "#"}
          aria-disabled={ids.length < 2}
          className={`rounded-md px-3 py-1.5 font-medium ${ids.length >= 2 ? "bg-indigo-600 text-white hover:bg-indigo-500" : "pointer-events-none bg-slate-200 text-slate-500"}`}
        >
          Compare {ids.length ? `${ids.length} runs` : ""}
        </Link>
        <span className="text-slate-500">tick two or more runs</span>
      </div>
      <RunsTable initialRuns={props.runs} basePath="/research/runs" selectable onSelect={setIds} />
    </div>
  );
}
