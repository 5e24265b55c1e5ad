import { describe, expect, it } from "vitest";
import { deliveryLeaseKey } from "./lease.ts";

describe("deliveryLeaseKey", () => {
  it("lives beside the counters, apart from their keys", () => {
    expect(deliveryLeaseKey("webhook")).toBe("leases.deliver.webhook");
  });
});
