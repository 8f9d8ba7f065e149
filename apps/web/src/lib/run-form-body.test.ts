import { DEFAULT_RUN_CONFIG, ZRunConfig, ZRunConfigChecked } from "@concord/jobs/run-config";
import { AppRouterContext } from "next/dist/shared/lib/app-router-context.shared-runtime";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { RunForm } from "@/app/admin/runs/run-form";
import { runFormBody } from "./run-form-body";

/** What the browser would submit from the server-rendered form, untouched: each field's initial value. */
function untouchedEntries(html: string): [string, string][] {
  const attrs = (tag: string) =>
    Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const entries: [string, string][] = [];
  for (const [tag] of html.matchAll(/<input[^>]*>/g)) {
    const a = attrs(tag);
    if (!a.name) continue;
    if (a.type === "checkbox") {
      if (/ checked=""/.test(tag)) entries.push([a.name, "on"]);
    } else entries.push([a.name, a.value ?? ""]);
  }
  for (const [, open, body] of html.matchAll(/(<select[^>]*>)(.*?)<\/select>/g)) {
    const options = [...(body ?? "").matchAll(/<option([^>]*)>([^<]*)<\/option>/g)].map(([, o, text]) => ({
      value: attrs(o ?? "").value ?? text ?? "",
      selected: / selected=""/.test(o ?? ""),
    }));
    entries.push([
      attrs(open ?? "").name ?? "",
      (options.find((o) => o.selected) ?? options[0])?.value ?? "",
    ]);
  }
  return entries;
}

describe("run form body", () => {
  it("the rendered form starts at the run config's defaults (the levers recipe) and, untouched, posts them", () => {
    // Rendering needs a mounted app router (useRouter); it is only called on submit, never here.
    const unused = () => {
      throw new Error("the router is not used while rendering");
    };
    const router = {
      back: unused,
      forward: unused,
      refresh: unused,
      push: unused,
      replace: unused,
      prefetch: unused,
    };
    const html = renderToStaticMarkup(
      createElement(
        AppRouterContext.Provider,
        { value: router as never },
        createElement(RunForm, { datasets: [{ id: "d1", name: "FER+" }], snapshots: [] }),
      ),
    );
    const entries = untouchedEntries(html);
    expect(Object.fromEntries(entries)).toMatchObject({
      epochs: "24",
      patience: "6",
      schedule: "cosine",
      warmupEpochs: "1",
      ema: "0.999",
      mixup: "0",
      cutmix: "0",
      logitAdjust: "0",
      rebalanceFrom: "0",
      classBalanceBeta: "0.999",
      classWeighting: "on",
      ttaEval: "on",
    });
    expect(ZRunConfig.parse(runFormBody(entries))).toEqual({ ...DEFAULT_RUN_CONFIG, datasetId: "d1" });
  });

  it("every lever can be set off from the form: plateau, no warm-up, no EMA, TTA and class weighting unticked", () => {
    const body = runFormBody([
      ["datasetId", "d1"],
      ["snapshotId", ""],
      ["schedule", "plateau"],
      ["warmupEpochs", "0"],
      ["ema", "0"],
      ["mixup", ""],
      ["logitAdjust", "0"],
    ]);
    expect(ZRunConfig.parse(body)).toEqual({
      ...DEFAULT_RUN_CONFIG,
      datasetId: "d1",
      schedule: "plateau",
      warmupEpochs: 0,
      ema: 0,
      ttaEval: false,
      classWeighting: false,
    });
  });

  it("carries issue 14's levers as numbers and the TTA checkbox as a boolean", () => {
    const body = runFormBody([
      ["datasetId", "d1"],
      ["model", "fast-wide"],
      ["schedule", "cosine"],
      ["warmupEpochs", "2"],
      ["ema", "0.999"],
      ["mixup", "0.2"],
      ["cutmix", "1"],
      ["logitAdjust", "1"],
      ["ttaEval", "on"],
    ]);
    expect(ZRunConfig.parse(body)).toMatchObject({
      model: "fast-wide",
      schedule: "cosine",
      warmupEpochs: 2,
      ema: 0.999,
      mixup: 0.2,
      cutmix: 1,
      logitAdjust: 1,
      ttaEval: true,
    });
    const refused = ZRunConfig.safeParse(
      runFormBody([
        ["datasetId", "d1"],
        ["ema", "1"],
      ]),
    );
    expect(refused.success).toBe(false);
    if (!refused.success) expect(refused.error.issues[0]?.message).toBe("ema: < 1");
  });

  it("carries class weighting (a checkbox) and its deferral; POST's schema refuses a deferral with nothing to defer", () => {
    const body = runFormBody([
      ["datasetId", "d1"],
      ["classWeighting", "on"],
      ["rebalanceFrom", "19"],
    ]);
    expect(ZRunConfigChecked.parse(body)).toMatchObject({
      classWeighting: true,
      rebalanceFrom: 19,
      epochs: 24,
    });
    const unticked = runFormBody([
      ["datasetId", "d1"],
      ["rebalanceFrom", "19"],
    ]);
    expect(unticked.classWeighting).toBe(false);
    // The field schema alone accepts it; the checked one (POST /api/runs) names the field.
    expect(ZRunConfig.safeParse(unticked).success).toBe(true);
    const refused = ZRunConfigChecked.safeParse(unticked);
    expect(refused.success).toBe(false);
    if (!refused.success) {
      expect(refused.error.issues[0]?.path).toEqual(["rebalanceFrom"]);
      expect(refused.error.issues[0]?.message).toMatch(/turn one of them on/);
    }
    const late = ZRunConfigChecked.safeParse(
      runFormBody([
        ["datasetId", "d1"],
        ["logitAdjust", "1"],
        ["epochs", "10"],
        ["rebalanceFrom", "11"],
      ]),
    );
    expect(late.success).toBe(false);
    if (!late.success) expect(late.error.issues[0]?.message).toMatch(/at most epochs \(10\)/);
  });

  it("carries the class-balance beta as a number; unticking the class weighting alone launches a plain run", () => {
    const body = runFormBody([
      ["datasetId", "d1"],
      ["classWeighting", "on"],
      ["classBalanceBeta", "0.5"],
    ]);
    expect(ZRunConfigChecked.parse(body)).toMatchObject({ classWeighting: true, classBalanceBeta: 0.5 });
    // The form's defaults with the checkbox unticked: beta (inert without the weighting) and the auto deferral
    // (nothing to defer: every epoch) need no change.
    const plain = ZRunConfigChecked.safeParse(
      runFormBody([
        ["datasetId", "d1"],
        ["classBalanceBeta", "0.999"],
        ["rebalanceFrom", "0"],
      ]),
    );
    expect(plain.success).toBe(true);
    expect(plain.data).toMatchObject({ classWeighting: false, classBalanceBeta: 0.999, rebalanceFrom: 0 });
  });
});
