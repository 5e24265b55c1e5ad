import { describe, expect, it } from "vitest";
import { KINESIS_DEFAULTS } from "./defaults.ts";
import { identifierValue, partitionKeyFor, planPutRecords } from "./kinesis-records.ts";

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const payload = (data: Record<string, unknown>) =>
  enc({ data: { _created: "x", _modified: "x", segment_events: [], ...data }, meta: {} });

describe("partitionKeyFor", () => {
  it("takes the identifier field from the payload's data, strings and numbers alike", () => {
    expect(partitionKeyFor(payload({ user_id: "u-1" }), "user_id", "identity")).toBe("u-1");
    expect(partitionKeyFor(payload({ account: 42 }), "account", "identity")).toBe("42");
    expect(partitionKeyFor(payload({ address: { country: "NZ" } }), "address.country", "id")).toBe(
      "NZ",
    );
  });

  it("falls back to the user's identity when the field is absent, empty or not a scalar", () => {
    const body = payload({ email: "", tags: ["a"], flag: true, nothing: null, nan: Number.NaN });
    for (const field of [undefined, "user_id", "email", "tags", "flag", "nothing", "nan"]) {
      expect(partitionKeyFor(body, field, "identity")).toBe("identity");
    }
    expect(partitionKeyFor(new TextEncoder().encode("not json"), "user_id", "identity")).toBe(
      "identity",
    );
    expect(identifierValue(enc({ data: "nope" }), "user_id")).toBeUndefined();
  });

  it("turns a key over 256 characters into a stable digest, counting code points", () => {
    const long = "x".repeat(257);
    const key = partitionKeyFor(payload({}), undefined, long);
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(partitionKeyFor(payload({}), undefined, long)).toBe(key);
    // 256 astral characters are 512 UTF-16 units but 256 characters: allowed as they are.
    const astral = "😀".repeat(256);
    expect(partitionKeyFor(payload({}), undefined, astral)).toBe(astral);
    expect(partitionKeyFor(payload({}), undefined, `${astral}😀`)).toMatch(/^sha256:/);
  });
});

describe("planPutRecords", () => {
  const item = (bytes: number, userKey = "u") => ({ body: new Uint8Array(bytes), userKey });

  it("puts a batch in one call, in order, counting data and key bytes", () => {
    const plan = planPutRecords([item(10, "a"), item(20, "bb")], undefined);
    expect(plan.rejected).toEqual([]);
    expect(plan.calls).toHaveLength(1);
    expect(plan.calls[0]!.map((e) => [e.index, e.partitionKey, e.bytes])).toEqual([
      [0, "a", 11],
      [1, "bb", 22],
    ]);
  });

  it("starts a new call at the records limit and at the bytes limit", () => {
    const limits = { ...KINESIS_DEFAULTS, maxRecordsPerCall: 2, maxBytesPerCall: 100 };
    const byCount = planPutRecords(
      [item(1), item(1), item(1), item(1), item(1)],
      undefined,
      limits,
    );
    expect(byCount.calls.map((c) => c.map((e) => e.index))).toEqual([[0, 1], [2, 3], [4]]);
    // 50 + 1 key byte each: two fit in 100 bytes only if they add up to at most 100.
    const byBytes = planPutRecords([item(49), item(49), item(50), item(48)], undefined, limits);
    expect(byBytes.calls.map((c) => c.map((e) => e.index))).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it("holds the service's own limits: 500 records and 5 MiB per call", () => {
    const many = planPutRecords(
      Array.from({ length: 1001 }, (_, i) => item(10, `u${i}`)),
      undefined,
    );
    expect(many.calls.map((c) => c.length)).toEqual([500, 500, 1]);
    const big = planPutRecords(
      Array.from({ length: 12 }, (_, i) => item(1_000_000, `u${i}`)),
      undefined,
    );
    for (const call of big.calls) {
      expect(call.reduce((n, e) => n + e.bytes, 0)).toBeLessThanOrEqual(5 * 1024 * 1024);
    }
    expect(big.calls.map((c) => c.length)).toEqual([5, 5, 2]);
  });

  it("rejects a record over 1 MiB with its key, and carries on with the rest", () => {
    const max = 1024 * 1024;
    const plan = planPutRecords(
      [item(10, "a"), item(max, "b"), item(max - 1, "c"), item(max - 1, "cc")],
      undefined,
    );
    expect(plan.rejected).toEqual([
      { index: 1, error: expect.stringContaining(`${max + 1} bytes`) },
      { index: 3, error: expect.stringContaining("exceeds the Kinesis limit of 1048576 bytes") },
    ]);
    expect(plan.calls.flat().map((e) => e.index)).toEqual([0, 2]);
  });
});
