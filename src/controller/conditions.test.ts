import { describe, expect, it } from "vitest";
import type { Condition } from "../resources/types.ts";
import {
  falseCondition,
  findCondition,
  readySummary,
  setCondition,
  setConditions,
  trueCondition,
} from "./conditions.ts";

const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:05:00Z");

describe("setCondition", () => {
  it("adds a condition with the transition time and generation", () => {
    const out = setCondition([], trueCondition("Ready", "Compiled", "ok"), 3, t0);
    expect(out).toEqual([
      {
        type: "Ready",
        status: "True",
        reason: "Compiled",
        message: "ok",
        lastTransitionTime: t0.toISOString(),
        observedGeneration: 3,
      },
    ]);
  });

  it("keeps lastTransitionTime when the status stays, even if reason and message change", () => {
    const before = setCondition([], falseCondition("Ready", "InvalidSegmentQL", "1:5: x"), 1, t0);
    const after = setCondition(before, falseCondition("Ready", "IncludeNotFound", "y"), 2, t1);
    expect(after[0]).toMatchObject({
      reason: "IncludeNotFound",
      message: "y",
      lastTransitionTime: t0.toISOString(),
      observedGeneration: 2,
    });
  });

  it("moves lastTransitionTime when the status changes", () => {
    const before = setCondition([], falseCondition("Ready", "X", "x"), 1, t0);
    const after = setCondition(before, trueCondition("Ready", "Compiled"), 1, t1);
    expect(after[0]!.lastTransitionTime).toBe(t1.toISOString());
  });

  it("does not mutate its input and keeps the order of other conditions", () => {
    const before: Condition[] = setConditions(
      [],
      [trueCondition("A", "a"), trueCondition("B", "b")],
      1,
      t0,
    );
    const copy = structuredClone(before);
    const after = setCondition(before, falseCondition("A", "x", "x"), 1, t1);
    expect(before).toEqual(copy);
    expect(after.map((c) => c.type)).toEqual(["A", "B"]);
  });
});

describe("setConditions", () => {
  it("orders as given and drops types that are no longer reported", () => {
    const before = setConditions([], [trueCondition("Old", "x"), trueCondition("B", "b")], 1, t0);
    const after = setConditions(before, [trueCondition("A", "a"), trueCondition("B", "b")], 1, t1);
    expect(after.map((c) => c.type)).toEqual(["A", "B"]);
    expect(findCondition(after, "B")!.lastTransitionTime).toBe(t0.toISOString());
  });
});

describe("readySummary", () => {
  it("is True when every part is True", () => {
    expect(readySummary([trueCondition("A", "a"), trueCondition("B", "b")])).toEqual({
      type: "Ready",
      status: "True",
      reason: "Ready",
      message: "",
    });
  });

  it("takes the first False part's reason and message", () => {
    expect(
      readySummary([
        trueCondition("A", "a"),
        falseCondition("B", "SegmentNotFound", "no segment"),
        falseCondition("C", "SecretNotFound", "no secret"),
      ]),
    ).toMatchObject({ status: "False", reason: "SegmentNotFound", message: "no segment" });
  });

  it("prefers False over Unknown", () => {
    expect(
      readySummary([
        { type: "A", status: "Unknown", reason: "Wait", message: "" },
        falseCondition("B", "Bad", "bad"),
      ]),
    ).toMatchObject({ status: "False", reason: "Bad" });
    expect(
      readySummary([{ type: "A", status: "Unknown", reason: "Wait", message: "w" }]),
    ).toMatchObject({ status: "Unknown", reason: "Wait" });
  });
});
