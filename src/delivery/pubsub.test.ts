// The channel's checks that need no Pub/Sub endpoint: delivering is tested against the emulator
// (test/integration/delivery-pubsub.test.ts).
import { describe, expect, it } from "vitest";
import { serviceAccountKeyJson } from "../../test/support/service-account-key.ts";
import {
  DELIVERY_DEFAULTS,
  type PubSubRecord,
  type SubscriptionRecord,
} from "../controller/records.ts";
import { ChannelConfigError } from "./errors.ts";
import { createPubSubChannel, isEmulatorEndpoint, pubsubSettings } from "./pubsub.ts";

const record = (pubsub: Partial<PubSubRecord> | undefined): SubscriptionRecord => ({
  id: "sub1",
  namespace: "acme",
  name: "ps",
  channel: "pubsub",
  generation: 1,
  segmentIds: ["seg1"],
  events: ["enter", "exit"],
  fields: [],
  delivery: DELIVERY_DEFAULTS,
  ...(pubsub ? { pubsub: pubsub as PubSubRecord } : {}),
});

describe("pubsubSettings", () => {
  it("resolves the topic's full name and parses the key", () => {
    const s = pubsubSettings(
      record({ projectId: "my-project", topic: "triggers", credentials: serviceAccountKeyJson() }),
    );
    expect(s.topic).toBe("projects/my-project/topics/triggers");
    expect(s.credentials?.client_email).toMatch(/@segwatch-test\.iam/);
    expect(s.credentialsDigest).toMatch(/^[0-9a-f]{64}$/);
    const adc = pubsubSettings(
      record({ projectId: "my-project", topic: "projects/x-project/topics/t1x" }),
    );
    expect(adc.topic).toBe("projects/x-project/topics/t1x");
    expect(adc.credentialsDigest).toBe("adc");
    expect(adc.orderingKeyField).toBeUndefined();
  });

  it("throws a ChannelConfigError naming the problem", () => {
    const bad: [Partial<PubSubRecord> | undefined, string][] = [
      [undefined, "subscription sub1: no pubsub settings"],
      [{ topic: "triggers" }, "subscription sub1: pubsub: no projectId"],
      [{ projectId: "my-project" }, "subscription sub1: pubsub: no topic"],
      [
        { projectId: "my-project", topic: "x" },
        'subscription sub1: pubsub topic: "x" is not a Pub/Sub topic id',
      ],
      [
        { projectId: "my-project", topic: "triggers", credentials: "{}" },
        "subscription sub1: pubsub credentials: the credentials are of type null",
      ],
    ];
    for (const [p, message] of bad) {
      expect(() => pubsubSettings(record(p))).toThrow(ChannelConfigError);
      expect(() => pubsubSettings(record(p))).toThrow(message);
    }
  });

  it("open() refuses unusable settings before loading the client library", () => {
    const channel = createPubSubChannel();
    expect(() => channel.open(record({ projectId: "my-project" }))).toThrow(ChannelConfigError);
    expect(channel.name).toBe("pubsub");
    expect(channel.maxBatch).toBeGreaterThan(1);
  });
});

describe("isEmulatorEndpoint", () => {
  it("follows the client library: anything outside googleapis.com", () => {
    expect(isEmulatorEndpoint("127.0.0.1:8085")).toBe(true);
    expect(isEmulatorEndpoint("http://localhost:8085/")).toBe(true);
    expect(isEmulatorEndpoint("pubsub.googleapis.com")).toBe(false);
    expect(isEmulatorEndpoint("https://us-east1-pubsub.googleapis.com:443")).toBe(false);
  });
});
