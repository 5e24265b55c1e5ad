import { describe, expect, it } from "vitest";
import { deliveryLeaseKey, leaseState } from "./lease.ts";

describe("leaseState", () => {
  it("is free without a lease", () => {
    expect(leaseState({ revision: null, since: 0 }, 1_000, 500)).toBe("free");
  });

  it("is held until the same revision has been seen for the TTL", () => {
    expect(leaseState({ revision: 7, since: 1_000 }, 1_499, 500)).toBe("held");
    expect(leaseState({ revision: 7, since: 1_000 }, 1_500, 500)).toBe("expired");
  });
});

describe("deliveryLeaseKey", () => {
  it("lives beside the counters, apart from their keys", () => {
    expect(deliveryLeaseKey("webhook")).toBe("leases.deliver.webhook");
  });
});
