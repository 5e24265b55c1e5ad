import { describe, expect, it } from "vitest";
import { mergeEvent, newProfile, restoreProfile, type StoredProfile } from "./profile.ts";

const T0 = new Date("2026-03-10T12:00:00Z");

describe("mergeEvent", () => {
  it("rejects a __proto__ field instead of replacing the profile's prototype", () => {
    const p = newProfile("k", { field: "user_id", value: "u1" }, T0);
    const event = JSON.parse('{"user_id":"u1","__proto__":{"paying_user":"t"},"plan":"pro"}');
    const result = mergeEvent(p, event, {}, T0);
    expect(result.rejected).toEqual([
      { field: "__proto__", reason: "this field name cannot be stored" },
    ]);
    expect(result.changed).toEqual(["user_id", "plan", "_modified"]);
    expect(Object.getPrototypeOf(p.fields)).toBeNull();
    expect((p.fields as Record<string, unknown>).paying_user).toBeUndefined();
  });

  it("coerces declared fields and reports values of the wrong type without storing them", () => {
    const p = newProfile("k", { field: "user_id", value: "u1" }, T0);
    const result = mergeEvent(
      p,
      { visits: "12", paying_user: "maybe" },
      {
        visits: "int",
        paying_user: "bool",
      },
      T0,
    );
    expect(p.fields.visits).toBe(12);
    expect(Object.hasOwn(p.fields, "paying_user")).toBe(false);
    expect(result.rejected.map((r) => r.field)).toEqual(["paying_user"]);
  });

  it("ignores writes to the reserved timestamps and reports no change for an equal value", () => {
    const p = newProfile("k", { field: "user_id", value: "u1" }, T0);
    mergeEvent(p, { tags: ["a", "b"] }, {}, T0);
    const again = mergeEvent(p, { tags: ["a", "b"], _created: "1999-01-01T00:00:00Z" }, {}, T0);
    expect(again.changed).toEqual([]);
    expect(p.fields._created).toBe(T0.toISOString());
  });
});

describe("restoreProfile", () => {
  it("skips a stored __proto__ key", () => {
    const stored = JSON.parse(
      '{"key":"k","identity":{"field":"user_id","value":"u1"},"lastSeq":3,"segments":{},' +
        '"fields":{"__proto__":{"x":1},"plan":"pro"}}',
    ) as StoredProfile;
    const p = restoreProfile(stored, {});
    expect(Object.getPrototypeOf(p.fields)).toBeNull();
    expect(p.fields).toEqual({ plan: "pro" });
  });

  it("keeps what the evaluator stores beside the fields, backfillSeq included", () => {
    const p = newProfile("u1", { field: "user_id", value: "u1" }, T0);
    p.segments = { seg1: T0.toISOString() };
    p.backfilled = ["sub1@2026-01-01T00:00:00.000Z"];
    p.backfillSeq = { sub1: 42, sub2: 7 };
    const restored = restoreProfile(JSON.parse(JSON.stringify(p)) as StoredProfile, {});
    expect(restored).toEqual(p);
  });
});
