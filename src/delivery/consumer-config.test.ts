import { describe, expect, it } from "vitest";
import { deliveryConsumerName, deliverySubject } from "../nats/names.ts";
import { deliveryConsumerConfig } from "./consumer-config.ts";
import { CONSUMER_DEFAULTS, LEASE_DEFAULTS } from "./defaults.ts";

describe("deliveryConsumerConfig", () => {
  it("is a durable, explicit-ack consumer of one lane's subject", () => {
    const c = deliveryConsumerConfig("webhook", "7e2b", "live");
    expect(c).toMatchObject({
      durable_name: deliveryConsumerName("7e2b", "live"),
      filter_subject: deliverySubject("webhook", "7e2b", "live"),
      ack_policy: "explicit",
      deliver_policy: "new",
      max_deliver: -1,
      max_ack_pending: CONSUMER_DEFAULTS.liveMaxAckPending,
      metadata: { "segwatch.io/subscription-id": "7e2b", "segwatch.io/lane": "live" },
    });
    expect(c).not.toHaveProperty("priority_policy");
    const b = deliveryConsumerConfig("webhook", "7e2b", "backfill");
    expect(b.filter_subject).toBe("segwatch.deliver.webhook.7e2b.backfill");
    expect(b.max_ack_pending).toBe(CONSUMER_DEFAULTS.backfillMaxAckPending);
  });

  it("is the same every time (the controller and the workers both create it)", () => {
    expect(deliveryConsumerConfig("webhook", "a", "live")).toEqual(
      deliveryConsumerConfig("webhook", "a", "live"),
    );
  });

  it("lets a dead worker's messages come back before a standby takes its lease", () => {
    // A standby takes over only once everything the dead worker held is in the redelivery queue.
    expect(LEASE_DEFAULTS.ttlMs).toBeGreaterThan(
      CONSUMER_DEFAULTS.ackWaitMs + LEASE_DEFAULTS.renewMs,
    );
    const c = deliveryConsumerConfig("webhook", "a", "live");
    expect(c.ack_wait).toBe(CONSUMER_DEFAULTS.ackWaitMs * 1e6);
  });
});
