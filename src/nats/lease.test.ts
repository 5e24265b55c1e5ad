import { describe, expect, it } from "vitest";
import { checkLeaseTiming, LeaseTimingError, leaseOwner, leaseState } from "./lease.ts";

describe("leaseState", () => {
  it("is free without a lease", () => {
    expect(leaseState({ revision: null, since: 0 }, 1_000, 500)).toBe("free");
  });

  it("is held until the same revision has been seen for the TTL", () => {
    expect(leaseState({ revision: 7, since: 1_000 }, 1_499, 500)).toBe("held");
    expect(leaseState({ revision: 7, since: 1_000 }, 1_500, 500)).toBe("expired");
  });
});

describe("checkLeaseTiming", () => {
  it("accepts a TTL of at least two renewals", () => {
    const t = { ttlMs: 1_000, renewMs: 500, pollMs: 10 };
    expect(checkLeaseTiming(t)).toEqual(t);
  });

  it("names the field that is not a positive duration", () => {
    expect(() => checkLeaseTiming({ ttlMs: 1_000, renewMs: 0, pollMs: 10 })).toThrow(
      /lease renewMs: expected a duration above 0, got 0/,
    );
    expect(() => checkLeaseTiming({ ttlMs: Number.NaN, renewMs: 1, pollMs: 10 })).toThrow(
      LeaseTimingError,
    );
  });

  it("refuses a TTL that leaves the holder no missed renewal before a takeover", () => {
    expect(() => checkLeaseTiming({ ttlMs: 900, renewMs: 500, pollMs: 10 })).toThrow(
      /lease ttlMs: 900 must be at least twice renewMs \(500\)/,
    );
  });
});

describe("leaseOwner", () => {
  const entry = (text: string) => ({ string: () => text });

  it("reads the owner a holder wrote", () => {
    expect(leaseOwner(entry('{"owner":"pod-1","at":"2026-01-01T00:00:00Z"}'))).toBe("pod-1");
  });

  it("is undefined for no entry or a value that names none", () => {
    expect(leaseOwner(null)).toBeUndefined();
    expect(leaseOwner(entry("not json"))).toBeUndefined();
    expect(leaseOwner(entry('{"owner":7}'))).toBeUndefined();
  });
});
