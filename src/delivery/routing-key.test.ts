import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  boundedKey,
  profileFieldKey,
  routingKey,
  withinCodePoints,
  withinUtf8Bytes,
  withinUtf16Units,
} from "./routing-key.ts";

const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

describe("profileFieldKey", () => {
  const data = {
    account: "acme",
    n: 42,
    big: 10n,
    flag: false,
    empty: "",
    nan: Number.NaN,
    nothing: null,
    tags: ["a"],
    address: { country: "NZ", zip: { code: 7 } },
    "dotted.name": "top-level wins",
  };

  it("takes scalars — non-empty strings, finite numbers, bigints, booleans — as strings", () => {
    expect(profileFieldKey(data, "account")).toBe("acme");
    expect(profileFieldKey(data, "n")).toBe("42");
    expect(profileFieldKey(data, "big")).toBe("10");
    expect(profileFieldKey(data, "flag")).toBe("false");
  });

  it("follows a dotted path into nested objects unless a top-level field has that name", () => {
    expect(profileFieldKey(data, "address.country")).toBe("NZ");
    expect(profileFieldKey(data, "address.zip.code")).toBe("7");
    expect(profileFieldKey(data, "dotted.name")).toBe("top-level wins");
    expect(profileFieldKey(data, "address.missing.deeper")).toBeUndefined();
  });

  it("is no key for what is absent, empty or not a scalar", () => {
    for (const f of ["missing", "empty", "nan", "nothing", "tags", "address"])
      expect(profileFieldKey(data, f)).toBeUndefined();
  });
});

describe("routingKey", () => {
  it("uses the field when it has a key, else the user's identity", () => {
    const fits = withinCodePoints(256);
    expect(routingKey({ a: "x" }, "a", "user", fits)).toBe("x");
    expect(routingKey({ a: "" }, "a", "user", fits)).toBe("user");
    expect(routingKey({ a: "x" }, undefined, "user", fits)).toBe("user");
    expect(routingKey(undefined, "a", "user", fits)).toBe("user");
  });

  it("replaces a key the service would refuse by its digest, the same value always alike", () => {
    const long = "x".repeat(300);
    expect(routingKey({ a: long }, "a", "user", withinCodePoints(256))).toBe(sha(long));
    expect(routingKey({}, "a", long, withinCodePoints(256))).toBe(sha(long));
    expect(boundedKey("short", withinCodePoints(5))).toBe("short");
  });

  it("measures in code points or in UTF-8 bytes, as the service does", () => {
    const astral = "😀".repeat(4); // 4 code points, 8 UTF-16 units, 16 bytes
    expect(withinCodePoints(4)(astral)).toBe(true);
    expect(withinCodePoints(3)(astral)).toBe(false);
    expect(withinUtf16Units(8)(astral)).toBe(true);
    expect(withinUtf16Units(7)(astral)).toBe(false);
    expect(withinUtf8Bytes(16)(astral)).toBe(true);
    expect(withinUtf8Bytes(15)(astral)).toBe(false);
  });
});
