import { describe, expect, it } from "vitest";
import { LeaseTimingError } from "../nats/lease.ts";
import { PARTITION_LEASE_DEFAULTS, partitionLeaseTiming } from "./partition-worker.ts";

describe("partitionLeaseTiming", () => {
  it("gives the defaults for the default TTL", () => {
    expect(partitionLeaseTiming(PARTITION_LEASE_DEFAULTS.ttlMs)).toEqual(PARTITION_LEASE_DEFAULTS);
  });

  it("keeps the proportions for a short TTL and polls within it", () => {
    expect(partitionLeaseTiming(2_000)).toEqual({ ttlMs: 2_000, renewMs: 400, pollMs: 200 });
  });

  it("polls no more often than the default for a long TTL", () => {
    expect(partitionLeaseTiming(60_000)).toEqual({ ttlMs: 60_000, renewMs: 12_000, pollMs: 500 });
  });

  it("refuses a TTL that is no duration", () => {
    expect(() => partitionLeaseTiming(0)).toThrow(LeaseTimingError);
  });
});
