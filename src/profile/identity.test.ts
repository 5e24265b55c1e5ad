import { describe, expect, it } from "vitest";
import { identityOf, partitionOf } from "./identity.ts";

describe("identityOf", () => {
  it("takes the first present identity field", () => {
    const a = identityOf({ email: "a@x.test", user_id: "user123" }, ["user_id", "email"]);
    expect(a).toMatchObject({ field: "user_id", value: "user123" });
    expect(identityOf({ email: "a@x.test" }, ["user_id", "email"])).toMatchObject({
      field: "email",
    });
    expect(identityOf({ user_id: 42 }, ["user_id"])).toMatchObject({ value: "42" });
  });

  it("skips empty, null and non-scalar values", () => {
    expect(identityOf({ user_id: "", email: null }, ["user_id", "email"])).toBeUndefined();
    expect(identityOf({ user_id: { id: 1 } }, ["user_id"])).toBeUndefined();
  });

  it("keys profiles by field and value, and partitions stably", () => {
    const a = identityOf({ user_id: "u1" }, ["user_id"])!;
    expect(a.key).toMatch(/^[0-9a-f]{40}$/);
    expect(identityOf({ email: "u1" }, ["email"])!.key).not.toBe(a.key);
    expect(partitionOf(a.key, 16)).toBe(partitionOf(a.key, 16));
    expect(partitionOf(a.key, 16)).toBeLessThan(16);
  });
});
