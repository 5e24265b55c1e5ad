import { describe, expect, it } from "vitest";
import { KINESIS_DEFAULTS } from "./defaults.ts";
import { partitionKeyFor, recordFor, recordsForOneCall } from "./kinesis-records.ts";

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
    const body = payload({ email: "", tags: ["a"], nothing: null, nan: Number.NaN });
    for (const field of [undefined, "user_id", "email", "tags", "nothing", "nan"]) {
      expect(partitionKeyFor(body, field, "identity")).toBe("identity");
    }
    expect(partitionKeyFor(new TextEncoder().encode("not json"), "user_id", "identity")).toBe(
      "identity",
    );
    expect(partitionKeyFor(enc({ data: "nope" }), "user_id", "identity")).toBe("identity");
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

describe("recordFor", () => {
  it("counts data and key bytes", () => {
    expect(recordFor(new Uint8Array(10), "ab", undefined)).toEqual({
      ok: true,
      record: { partitionKey: "ab", data: new Uint8Array(10), bytes: 12 },
    });
    // Multi-byte keys count in UTF-8 bytes.
    expect(recordFor(new Uint8Array(1), "é", undefined)).toMatchObject({ record: { bytes: 3 } });
  });

  it("refuses a record over 1 MiB with its key", () => {
    const max = 1024 * 1024;
    expect(recordFor(new Uint8Array(max - 1), "a", undefined).ok).toBe(true);
    expect(recordFor(new Uint8Array(max - 1), "ab", undefined)).toEqual({
      ok: false,
      error: `record of ${max + 1} bytes (payload and partition key) exceeds the Kinesis limit of ${max} bytes`,
    });
  });
});

describe("recordsForOneCall", () => {
  it("takes as many as fit the records and bytes limits, at least one", () => {
    const limits = { maxRecordsPerCall: 2, maxBytesPerCall: 100 };
    expect(recordsForOneCall([1, 1, 1], limits)).toBe(2);
    expect(recordsForOneCall([50, 50, 1], limits)).toBe(2);
    expect(recordsForOneCall([50, 51], limits)).toBe(1);
    expect(recordsForOneCall([101, 1], limits)).toBe(1);
    expect(recordsForOneCall([], limits)).toBe(0);
  });

  it("holds the service's own limits: 500 records and 5 MiB per call", () => {
    expect(recordsForOneCall(new Array(1001).fill(10))).toBe(500);
    const n = recordsForOneCall(new Array(12).fill(1_000_000));
    expect(n).toBe(5);
    expect(n * 1_000_000).toBeLessThanOrEqual(KINESIS_DEFAULTS.maxBytesPerCall);
    expect(recordsForOneCall(new Array(3).fill(KINESIS_DEFAULTS.maxRecordBytes))).toBe(3);
    expect(recordsForOneCall(new Array(6).fill(KINESIS_DEFAULTS.maxRecordBytes))).toBe(5);
  });
});
