import { describe, expect, it } from "vitest";
import { buildStatusPatch, storedForm } from "./status-patch.ts";

describe("buildStatusPatch", () => {
  it("sets the new members and carries the resourceVersion guard", () => {
    const p = buildStatusPatch(undefined, { observedGeneration: 2, id: "abc" }, "17");
    expect(p).toEqual({
      metadata: { resourceVersion: "17" },
      status: { observedGeneration: 2, id: "abc" },
    });
  });

  it("nulls members the new status no longer has, so the merge patch removes them", () => {
    const p = buildStatusPatch(
      { observedGeneration: 1, fields: ["a"], members: 3, timeDependent: false },
      { observedGeneration: 2, conditions: [] },
      "5",
    );
    expect(p.status).toEqual({
      observedGeneration: 2,
      conditions: [],
      fields: null,
      members: null,
      timeDependent: null,
    });
  });

  it("treats undefined members of the new status as absent", () => {
    const p = buildStatusPatch({ lastError: "boom" }, { lastError: undefined, delivered: 0 }, "1");
    expect(p.status).toEqual({ lastError: null, delivered: 0 });
  });

  it("keeps explicit nulls of the new status", () => {
    const p = buildStatusPatch({}, { lastError: null }, "1");
    expect(p.status).toEqual({ lastError: null });
  });
});

describe("storedForm", () => {
  it("ignores key order and null or undefined members, as a stored status does", () => {
    expect(storedForm({ b: 1, a: { y: null, x: [1, { d: undefined, c: 2 }] }, z: null })).toBe(
      storedForm({ a: { x: [1, { c: 2 }] }, b: 1 }),
    );
    expect(storedForm({ a: 1 })).not.toBe(storedForm({ a: 2 }));
  });
});
